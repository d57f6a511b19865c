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
// A token bound to an object (serviceaccount/token_request.h) counts only
// while that object exists with the token's uid and has not been waiting
// for its removal for longer than the leeway (a minute), as Kubernetes'
// validator checks: a deleted pod's token stops working. The objects are
// looked up in the apiserver's watch caches; storage is asked only for a
// token issued in the last kFreshTokenWindow, whose object the cache may
// not have seen yet. A pod-bound token's user has the extra
// authentication.kubernetes.io/pod-name and pod-uid, and node-name and
// node-uid when the token names its node (as Kubernetes'
// ServiceAccountInfo.UserInfo).
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

  // The metadata of the object of `kind` ("Pod", "Secret", "Node") ns/name
  // (ns empty for a Node): from the watch cache, or from storage when
  // `from_storage`; nullopt when there is none.
  using BoundObjectLookup = std::function<std::optional<meta::v1::ObjectMeta>(
      absl::string_view kind, const std::string& ns, const std::string& name, bool from_storage)>;

  // How long after its issue a token's bound object is also looked for in
  // storage when the cache lacks it (the cache trails storage by
  // milliseconds).
  static constexpr absl::Duration kFreshTokenWindow = absl::Seconds(10);

  // `issuers`: the accepted token issuers; `audiences`: the apiserver's
  // (a token must name one). `bound`: unset refuses every bound token.
  ServiceAccountTokenAuthenticator(pki::PublicKeySet keys, std::vector<std::string> issuers,
                                   std::vector<std::string> audiences, Lookup lookup,
                                   std::function<absl::Time()> now = absl::Now,
                                   BoundObjectLookup bound = nullptr)
      : keys_(std::move(keys)),
        issuers_(std::move(issuers)),
        audiences_(std::move(audiences)),
        lookup_(std::move(lookup)),
        now_(std::move(now)),
        bound_(std::move(bound)) {}

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
  // Why a token's bound objects make it invalid ("" when they do not).
  std::string CheckBound(const std::string& ns, const std::string& kind, const std::string& name,
                         const std::string& uid, absl::Time issued_at, absl::Time now) const;

  Lookup lookup_;
  std::function<absl::Time()> now_;
  BoundObjectLookup bound_;
};

}  // namespace minik8s::apiserver::authn

#endif  // MINIK8S_APISERVER_AUTHN_SERVICE_ACCOUNT_TOKEN_H_
