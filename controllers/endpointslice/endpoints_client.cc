#include "controllers/endpointslice/endpoints_client.h"

namespace minik8s::controllers {
namespace {

using minik8s::core::v1::Endpoints;
using minik8s::discovery::v1::EndpointSlice;

class ApiEndpointsClient : public EndpointsClient {
 public:
  explicit ApiEndpointsClient(const client::Clientset* cs) : cs_(cs) {}

  absl::StatusOr<EndpointSlice> CreateSlice(const EndpointSlice& slice) override {
    return cs_->For<EndpointSlice>().Create(slice);
  }
  absl::StatusOr<EndpointSlice> UpdateSlice(const EndpointSlice& slice) override {
    return cs_->For<EndpointSlice>().Update(slice);
  }
  absl::Status DeleteSlice(absl::string_view ns, absl::string_view name) override {
    return cs_->For<EndpointSlice>().Delete(ns, name).status();
  }
  absl::StatusOr<Endpoints> CreateEndpoints(const Endpoints& endpoints) override {
    return cs_->For<Endpoints>().Create(endpoints);
  }
  absl::StatusOr<Endpoints> UpdateEndpoints(const Endpoints& endpoints) override {
    return cs_->For<Endpoints>().Update(endpoints);
  }
  absl::Status DeleteEndpoints(absl::string_view ns, absl::string_view name) override {
    return cs_->For<Endpoints>().Delete(ns, name).status();
  }

 private:
  const client::Clientset* cs_;
};

}  // namespace

std::unique_ptr<EndpointsClient> NewApiEndpointsClient(const client::Clientset* clientset) {
  return std::make_unique<ApiEndpointsClient>(clientset);
}

}  // namespace minik8s::controllers
