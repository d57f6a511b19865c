// ClusterRole (rbac.authorization.k8s.io/v1, cluster-scoped): the scheme entry; no
// short name, as in Kubernetes.
#include "k8s/rbac/v1/rbac.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo ClusterRoleScheme() {
  return ResourceKind<rbac::v1::ClusterRole, rbac::v1::ClusterRoleList>(
      "rbac.authorization.k8s.io", "ClusterRole", "clusterroles", "clusterrole", {}, false);
}

}  // namespace minik8s::api
