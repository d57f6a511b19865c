// ClusterRoleBindings (rbac.authorization.k8s.io/v1): plain objects without status,
// bindings of subjects to a role; roleRef is immutable (validation).
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {

std::unique_ptr<Strategy> NewClusterRoleBindingStrategy(const api::KindInfo* kind) {
  return std::make_unique<Strategy>(kind, Strategy::Traits{});
}

}  // namespace minik8s::apiserver
