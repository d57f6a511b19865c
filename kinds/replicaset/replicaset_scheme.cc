// ReplicaSet: the scheme entry.
#include "k8s/apps/v1/apps.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo ReplicaSetScheme() {
  return ResourceKind<apps::v1::ReplicaSet, apps::v1::ReplicaSetList>(
      "apps", "ReplicaSet", "replicasets", "replicaset", {"rs"}, true);
}

}  // namespace minik8s::api
