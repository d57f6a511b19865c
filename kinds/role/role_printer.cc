// Role: Kubernetes registers no printer for roles, so kube-apiserver
// answers with its default table: NAME and CREATED AT (the creation time in
// RFC 3339, UTC).
#include "api/time.h"
#include "k8s/rbac/v1/rbac.pb.h"
#include "kinds/printer_entry.h"

namespace minik8s::printers {
namespace {

Row RoleRow(const rbac::v1::Role& role, absl::Time) {
  Row row;
  const auto& created = role.metadata().creation_timestamp();
  row.cells = {role.metadata().name(),
               api::FormatRfc3339(absl::FromUnixSeconds(created.seconds()))};
  return row;
}

}  // namespace

KindPrinter RolePrinter() {
  return {{NameColumn(),
           {"Created At", "date", "",
            "CreationTimestamp is a timestamp representing the server time when this object was "
            "created.",
            0}},
          &TypedRow<rbac::v1::Role, &RoleRow>};
}

}  // namespace minik8s::printers
