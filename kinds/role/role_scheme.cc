// Role (rbac.authorization.k8s.io/v1, namespaced): the scheme entry; no
// short name, as in Kubernetes.
#include "k8s/rbac/v1/rbac.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo RoleScheme() {
  return ResourceKind<rbac::v1::Role, rbac::v1::RoleList>("rbac.authorization.k8s.io", "Role",
                                                          "roles", "role", {}, true);
}

}  // namespace minik8s::api
