// What the printers of the kinds (kinds/<name>/<name>_printer.cc, declared
// in kinds/printer_entry.h) share: the fallback printer, the common columns
// and the typed-row adapter. Only registry.cc lists the printers; everything
// else asks the registry.
//
// Thread safety: the factories build new values; call them from one thread
// (the registry builds its table once).
#ifndef MINIK8S_PRINTERS_BUILTIN_PRINTERS_H_
#define MINIK8S_PRINTERS_BUILTIN_PRINTERS_H_

#include "google/protobuf/message.h"
#include "k8s/meta/v1/meta.pb.h"
#include "printers/kind_printer.h"

namespace minik8s::printers {

// Any kind without a printer of its own: NAME and AGE.
KindPrinter MetadataPrinter();

// Columns every kind shares.
ColumnDefinition NameColumn();  // format "name"
ColumnDefinition AgeColumn();
// The wide columns of the kinds that keep pod replicas (Deployment,
// ReplicaSet; apps_printers.cc): containers, images, selector.
ColumnDefinition ContainersColumn();
ColumnDefinition ImagesColumn();
ColumnDefinition SelectorColumn();
// "Created At": the creation time as an RFC 3339 date (kubectl's column of
// Roles and ClusterRoles), and the row of the name and it for any object.
ColumnDefinition CreatedAtColumn();
Row NameAndCreatedAt(const meta::v1::ObjectMeta& metadata);

// Adapts a row function over the generated type T to a RowFunction. A message
// of another type yields a row without cells (callers pad rows to the column
// count), so a mismatched object never reaches a static_cast.
template <typename T, Row (*F)(const T&, absl::Time)>
Row TypedRow(const google::protobuf::Message& object, absl::Time now) {
  if (object.GetDescriptor() != T::descriptor()) return Row{};
  return F(static_cast<const T&>(object), now);
}

}  // namespace minik8s::printers

#endif  // MINIK8S_PRINTERS_BUILTIN_PRINTERS_H_
