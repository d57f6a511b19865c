#include "controllers/tokencleaner/token_secret_client.h"

namespace minik8s::controllers {
namespace {

class ApiTokenSecretClient : public TokenSecretClient {
 public:
  explicit ApiTokenSecretClient(const client::Clientset* cs) : cs_(cs) {}

  absl::Status DeleteSecret(const std::string& ns, const std::string& name, const std::string& uid,
                            const std::string& resource_version) override {
    client::DeleteOptions options;
    if (!uid.empty()) options.precondition_uid = uid;
    if (!resource_version.empty()) options.precondition_resource_version = resource_version;
    return cs_->api()->Delete("secrets", ns, name, options);
  }

 private:
  const client::Clientset* cs_;
};

}  // namespace

std::unique_ptr<TokenSecretClient> NewApiTokenSecretClient(const client::Clientset* clientset) {
  return std::make_unique<ApiTokenSecretClient>(clientset);
}

}  // namespace minik8s::controllers
