// RoleBinding (rbac.authorization.k8s.io/v1, namespaced): the scheme entry; no
// short name, as in Kubernetes.
#include "k8s/rbac/v1/rbac.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo RoleBindingScheme() {
  return ResourceKind<rbac::v1::RoleBinding, rbac::v1::RoleBindingList>(
      "rbac.authorization.k8s.io", "RoleBinding", "rolebindings", "rolebinding", {}, true);
}

}  // namespace minik8s::api
