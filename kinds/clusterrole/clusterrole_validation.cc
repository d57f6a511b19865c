// ClusterRole: defaulting and validation (api/validation/validation_rbac.cc).
#include "api/validation/validation_rbac.h"
#include "k8s/rbac/v1/rbac.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules ClusterRoleRules() {
  return RulesOf<rbac::v1::ClusterRole, nullptr, ValidateClusterRole, ValidateClusterRoleUpdate>(
      "ClusterRole.rbac.authorization.k8s.io");
}

}  // namespace minik8s::validation
