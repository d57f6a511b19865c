// ServiceAccount tokens (kube-apiserver's --service-account-key-file
// authenticator with --service-account-lookup): a bearer token that is a JWT
// signed by one of the trusted keys, from one of the accepted issuers, for
// one of the apiserver's audiences, unexpired
// (serviceaccount/token.h), naming a ServiceAccount that still exists with
// the same uid and is not being deleted. Such a token is the user
// system:serviceaccount:<ns>:<name> (uid: the ServiceAccount's), in the
// groups system:serviceaccounts, system:serviceaccounts:<ns> and
// system:authenticated, with the extra
// authentication.kubernetes.io/credential-id: ["JTI=<jti>"].
//
// Thread safety: immutable after construction; the lookup must be safe to
// call concurrently.
#ifndef MINIK8S_APISERVER_AUTHN_SERVICE_ACCOUNT_TOKEN_H_
#define MINIK8S_APISERVER_AUTHN_SERVICE_ACCOUNT_TOKEN_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "apiserver/authn/authenticator.h"
#include "k8s/core/v1/core.pb.h"
#include "pki/jws.h"

namespace minik8s::apiserver::authn {

class ServiceAccountTokenAuthenticator {
 public:
  // The ServiceAccount of that namespace and name, nullopt when there is none.
  using Lookup = std::function<std::optional<core::v1::ServiceAccount>(const std::string& ns,
                                                                       const std::string& name)>;

  // `issuers`: the accepted token issuers; `audiences`: the apiserver's
  // (a token must name one).
  ServiceAccountTokenAuthenticator(pki::PublicKeySet keys, std::vector<std::string> issuers,
                                   std::vector<std::string> audiences, Lookup lookup,
                                   std::function<absl::Time()> now = absl::Now)
      : keys_(std::move(keys)),
        issuers_(std::move(issuers)),
        audiences_(std::move(audiences)),
        lookup_(std::move(lookup)),
        now_(std::move(now)) {}

  // The user `token` names, or nullopt (not a JWT, or not an acceptable
  // one; the reason is logged at debug level, never the token).
  std::optional<UserInfo> Authenticate(absl::string_view token) const;

  // A token checked against `audiences` (a TokenReview's spec.audiences)
  // instead of the apiserver's own (when `audiences` is empty, the own
  // ones, as Authenticate): it must name one of them. `audiences` of the
  // answer: those of `audiences` (or the apiserver's) the token names, in
  // that order (kube-apiserver's JWT authenticator).
  struct Authenticated {
    UserInfo user;
    std::vector<std::string> audiences;
  };
  std::optional<Authenticated> AuthenticateFor(absl::string_view token,
                                               const std::vector<std::string>& audiences) const;

 private:
  pki::PublicKeySet keys_;
  std::vector<std::string> issuers_;
  std::vector<std::string> audiences_;
  Lookup lookup_;
  std::function<absl::Time()> now_;
};

}  // namespace minik8s::apiserver::authn

#endif  // MINIK8S_APISERVER_AUTHN_SERVICE_ACCOUNT_TOKEN_H_
