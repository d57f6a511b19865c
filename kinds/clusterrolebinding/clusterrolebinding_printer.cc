// ClusterRoleBinding: the table columns and rows, as Kubernetes' printers
// (pkg/printers/internalversion printClusterRoleBinding) define them: ROLE is
// `<kind>/<name>` of the roleRef; the subjects only with -o wide.
#include "k8s/rbac/v1/rbac.pb.h"
#include "kinds/printer_entry.h"
#include "kinds/rolebinding/subjects.h"
#include "printers/duration.h"

namespace minik8s::printers {
namespace {

Row ClusterRoleBindingRow(const rbac::v1::ClusterRoleBinding& binding, absl::Time now) {
  Row row;
  const SubjectStrings subjects = SubjectsStrings(binding.subjects());
  row.cells = {binding.metadata().name(),
               binding.role_ref().kind() + "/" + binding.role_ref().name(),
               TimestampSince(binding.metadata().creation_timestamp(), now),
               subjects.users,
               subjects.groups,
               subjects.service_accounts};
  return row;
}

}  // namespace

KindPrinter ClusterRoleBindingPrinter() {
  return {{NameColumn(),
           {"Role", "string", "",
            "RoleRef can reference a Role in the current namespace or a ClusterRole in the global "
            "namespace.",
            0},
           AgeColumn(),
           {"Users", "string", "", "Users in the roleBinding", 1},
           {"Groups", "string", "", "Groups in the roleBinding", 1},
           {"ServiceAccounts", "string", "", "ServiceAccounts in the roleBinding", 1}},
          &TypedRow<rbac::v1::ClusterRoleBinding, &ClusterRoleBindingRow>};
}

}  // namespace minik8s::printers
