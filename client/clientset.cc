#include "client/clientset.h"

namespace minik8s::client {

absl::StatusOr<std::unique_ptr<Clientset>> Clientset::Connect(const ApiClientOptions& options) {
  auto api = ApiClient::Connect(options);
  if (!api.ok()) return api.status();
  return std::make_unique<Clientset>(*std::move(api));
}

Clientset::Clientset(std::unique_ptr<ApiClient> api) : api_(std::move(api)) {}

}  // namespace minik8s::client
