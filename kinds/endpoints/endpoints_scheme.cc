// Endpoints: the scheme entry (the resource is plural in its singular form
// too, as Kubernetes names it).
#include "k8s/core/v1/core.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo EndpointsScheme() {
  return ResourceKind<core::v1::Endpoints, core::v1::EndpointsList>("", "Endpoints", "endpoints",
                                                                    "endpoints", {"ep"}, true);
}

}  // namespace minik8s::api
