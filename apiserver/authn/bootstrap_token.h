// Bootstrap tokens (kube-apiserver --enable-bootstrap-token-auth), the
// credentials a joining node uses before it has a certificate, as
// `kubeadm join --token` does.
//
// A token is "<id>.<secret>" ([a-z0-9]{6} "." [a-z0-9]{16}). It is valid
// while the Secret kube-system/bootstrap-token-<id> exists, is not being
// deleted, has type bootstrap.kubernetes.io/token, holds the same
// token-secret, says usage-bootstrap-authentication: "true" and its
// expiration (RFC 3339, optional) has not passed. The request is then the
// user system:bootstrap:<id> in the group system:bootstrappers plus the
// Secret's auth-extra-groups (comma-separated, each
// system:bootstrappers:...), plus system:authenticated.
//
// Thread safety: immutable after construction; the lookup must be safe to
// call concurrently.
#ifndef MINIK8S_APISERVER_AUTHN_BOOTSTRAP_TOKEN_H_
#define MINIK8S_APISERVER_AUTHN_BOOTSTRAP_TOKEN_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "api/bootstrap_token.h"
#include "apiserver/authn/authenticator.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver::authn {

using api::BootstrapToken;
using api::GenerateBootstrapToken;
using api::ParseBootstrapToken;

class BootstrapTokenAuthenticator {
 public:
  // The Secret of that namespace and name, nullopt when there is none.
  using Lookup = std::function<std::optional<core::v1::Secret>(const std::string& ns,
                                                               const std::string& name)>;

  explicit BootstrapTokenAuthenticator(Lookup lookup, std::function<absl::Time()> now = absl::Now)
      : lookup_(std::move(lookup)), now_(std::move(now)) {}

  // The user `token` names, or nullopt (not a bootstrap token, or not a
  // valid one; the reason is logged at debug level, never the secret).
  std::optional<UserInfo> Authenticate(absl::string_view token) const;

 private:
  Lookup lookup_;
  std::function<absl::Time()> now_;
};

}  // namespace minik8s::apiserver::authn

#endif  // MINIK8S_APISERVER_AUTHN_BOOTSTRAP_TOKEN_H_
