// Service: the scheme entry.
#include "k8s/core/v1/core.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo ServiceScheme() {
  return ResourceKind<core::v1::Service, core::v1::ServiceList>("", "Service", "services",
                                                                "service", {"svc"}, true);
}

}  // namespace minik8s::api
