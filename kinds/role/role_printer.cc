// Role: Kubernetes registers no printer for roles, so kube-apiserver
// answers with its default table: NAME and CREATED AT (the creation time in
// RFC 3339, UTC).
#include "k8s/rbac/v1/rbac.pb.h"
#include "kinds/printer_entry.h"

namespace minik8s::printers {
namespace {

Row RoleRow(const rbac::v1::Role& role, absl::Time) { return NameAndCreatedAt(role.metadata()); }

}  // namespace

KindPrinter RolePrinter() {
  return {{NameColumn(), CreatedAtColumn()}, &TypedRow<rbac::v1::Role, &RoleRow>};
}

}  // namespace minik8s::printers
