// Namespace: the table columns and rows, as Kubernetes' printers
// (pkg/printers/internalversion) define them; kube-apiserver serves them
// as a Table and a client hides the priority-1 columns without -o wide.
#include "k8s/core/v1/core.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"

namespace minik8s::printers {
namespace {

namespace core = minik8s::core::v1;

Row NamespaceRow(const core::Namespace& ns, absl::Time now) {
  Row row;
  row.cells = {ns.metadata().name(), ns.status().phase(),
               TimestampSince(ns.metadata().creation_timestamp(), now)};
  return row;
}

}  // namespace

KindPrinter NamespacePrinter() {
  return {{NameColumn(),
           {"Status", "string", "", "Active or Terminating (status.phase).", 0},
           AgeColumn()},
          &TypedRow<core::Namespace, &NamespaceRow>};
}

}  // namespace minik8s::printers
