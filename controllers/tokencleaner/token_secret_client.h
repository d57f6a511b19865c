// TokenSecretClient: the one call the tokencleaner controller makes to the
// apiserver, behind an interface so its decisions are tested against a fake.
// NewApiTokenSecretClient talks to the apiserver.
//
// Thread safety: implementations must be safe from any thread.
#ifndef MINIK8S_CONTROLLERS_TOKENCLEANER_TOKEN_SECRET_CLIENT_H_
#define MINIK8S_CONTROLLERS_TOKENCLEANER_TOKEN_SECRET_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "client/clientset.h"

namespace minik8s::controllers {

class TokenSecretClient {
 public:
  virtual ~TokenSecretClient() = default;
  // Deletes the Secret ns/name only if it still has this uid and
  // resourceVersion (preconditions; an empty one is not checked). The
  // apiserver's error as is: NotFound when it is gone, Conflict when a
  // precondition failed.
  virtual absl::Status DeleteSecret(const std::string& ns, const std::string& name,
                                    const std::string& uid,
                                    const std::string& resource_version) = 0;
};

// Over the apiserver; `clientset` is borrowed and must outlive the result.
std::unique_ptr<TokenSecretClient> NewApiTokenSecretClient(const client::Clientset* clientset);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_TOKENCLEANER_TOKEN_SECRET_CLIENT_H_
