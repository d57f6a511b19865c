// Lease: the table columns and rows, as Kubernetes' printers
// (pkg/printers/internalversion) define them; kube-apiserver serves them
// as a Table and a client hides the priority-1 columns without -o wide.
#include "k8s/coordination/v1/coordination.pb.h"
#include "kinds/printer_entry.h"
#include "printers/duration.h"

namespace minik8s::printers {
namespace {

namespace coordination = minik8s::coordination::v1;

Row LeaseRow(const coordination::Lease& lease, absl::Time now) {
  Row row;
  row.cells = {lease.metadata().name(), lease.spec().holder_identity(),
               TimestampSince(lease.metadata().creation_timestamp(), now)};
  return row;
}

}  // namespace

KindPrinter LeasePrinter() {
  return {
      {NameColumn(),
       {"Holder", "string", "", "Identity of the lease's current holder (spec.holderIdentity).", 0},
       AgeColumn()},
      &TypedRow<coordination::Lease, &LeaseRow>};
}

}  // namespace minik8s::printers
