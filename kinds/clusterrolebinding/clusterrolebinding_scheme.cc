// ClusterRoleBinding (rbac.authorization.k8s.io/v1, cluster-scoped): the scheme entry; no
// short name, as in Kubernetes.
#include "k8s/rbac/v1/rbac.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo ClusterRoleBindingScheme() {
  return ResourceKind<rbac::v1::ClusterRoleBinding, rbac::v1::ClusterRoleBindingList>(
      "rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings",
      "clusterrolebinding", {}, false);
}

}  // namespace minik8s::api
