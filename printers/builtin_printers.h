// The printers of the built-in kinds, one factory per kind, grouped by API
// group (core_printers.cc, apps_printers.cc, coordination_printers.cc). Only
// registry.cc lists them; everything else asks the registry.
//
// Thread safety: the factories build new values; call them from one thread
// (the registry builds its table once).
#ifndef MINIK8S_PRINTERS_BUILTIN_PRINTERS_H_
#define MINIK8S_PRINTERS_BUILTIN_PRINTERS_H_

#include "google/protobuf/message.h"
#include "k8s/meta/v1/meta.pb.h"
#include "printers/kind_printer.h"

namespace minik8s::printers {

// core/v1
KindPrinter PodPrinter();
KindPrinter NodePrinter();
KindPrinter EventPrinter();
KindPrinter NamespacePrinter();
// apps/v1
KindPrinter DeploymentPrinter();
KindPrinter ReplicaSetPrinter();
// coordination.k8s.io/v1
KindPrinter LeasePrinter();
// Any other kind: NAME and AGE.
KindPrinter MetadataPrinter();

// Columns every kind shares.
ColumnDefinition NameColumn();  // format "name"
ColumnDefinition AgeColumn();

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
