// Pod: the scheme entry.
#include "k8s/core/v1/core.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo PodScheme() {
  return ResourceKind<core::v1::Pod, core::v1::PodList>("", "Pod", "pods", "pod", {"po"}, true);
}

}  // namespace minik8s::api
