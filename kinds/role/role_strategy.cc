// Roles (rbac.authorization.k8s.io/v1): plain objects without status,
// policy rules read by the RBAC authorizer (apiserver/authz/).
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {

std::unique_ptr<Strategy> NewRoleStrategy(const api::KindInfo* kind) {
  return std::make_unique<Strategy>(kind, Strategy::Traits{});
}

}  // namespace minik8s::apiserver
