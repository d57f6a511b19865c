// EndpointSlice (discovery.k8s.io/v1): the scheme entry; no short name, as
// in Kubernetes.
#include "k8s/discovery/v1/discovery.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {

KindInfo EndpointSliceScheme() {
  return ResourceKind<discovery::v1::EndpointSlice, discovery::v1::EndpointSliceList>(
      "discovery.k8s.io", "EndpointSlice", "endpointslices", "endpointslice", {}, true);
}

}  // namespace minik8s::api
