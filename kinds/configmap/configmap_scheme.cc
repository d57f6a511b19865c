// ConfigMap: the scheme entry (short name cm, as kubectl knows it).
#include "k8s/core/v1/core.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo ConfigMapScheme() {
  return ResourceKind<core::v1::ConfigMap, core::v1::ConfigMapList>("", "ConfigMap", "configmaps",
                                                                    "configmap", {"cm"}, true);
}

}  // namespace minik8s::api
