// EndpointsClient: every write the EndpointSlice and Endpoints controllers
// make, behind an interface so their Sync can be tested against a fake.
// NewApiEndpointsClient talks to the apiserver.
//
// Thread safety: implementations must be safe from any thread.
#ifndef MINIK8S_CONTROLLERS_ENDPOINTSLICE_ENDPOINTS_CLIENT_H_
#define MINIK8S_CONTROLLERS_ENDPOINTSLICE_ENDPOINTS_CLIENT_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/clientset.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/discovery/v1/discovery.pb.h"

namespace minik8s::controllers {

class EndpointsClient {
 public:
  virtual ~EndpointsClient() = default;
  virtual absl::StatusOr<minik8s::discovery::v1::EndpointSlice> CreateSlice(
      const minik8s::discovery::v1::EndpointSlice& slice) = 0;
  // Compare-and-swap on resourceVersion.
  virtual absl::StatusOr<minik8s::discovery::v1::EndpointSlice> UpdateSlice(
      const minik8s::discovery::v1::EndpointSlice& slice) = 0;
  virtual absl::Status DeleteSlice(absl::string_view ns, absl::string_view name) = 0;
  virtual absl::StatusOr<minik8s::core::v1::Endpoints> CreateEndpoints(
      const minik8s::core::v1::Endpoints& endpoints) = 0;
  virtual absl::StatusOr<minik8s::core::v1::Endpoints> UpdateEndpoints(
      const minik8s::core::v1::Endpoints& endpoints) = 0;
  virtual absl::Status DeleteEndpoints(absl::string_view ns, absl::string_view name) = 0;
};

// Over the apiserver; `clientset` is borrowed and must outlive the result.
std::unique_ptr<EndpointsClient> NewApiEndpointsClient(const client::Clientset* clientset);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_ENDPOINTSLICE_ENDPOINTS_CLIENT_H_
