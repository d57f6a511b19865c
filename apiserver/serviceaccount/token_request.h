// The serviceaccounts/token subresource (kube-apiserver's TokenREST):
// POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token with an
// authentication.k8s.io/v1 TokenRequest answers with the request, its
// status holding a signed token (jwt.h, token.h) for that ServiceAccount
// and the token's expirationTimestamp — what `kubectl create token` asks,
// and what a kubelet asks for a pod's kube-api-access- volume.
//
// The request is defaulted and validated (expirationSeconds one hour by
// default, at least ten minutes; api/validation/validation_serviceaccount.h);
// audiences default to the apiserver's (--api-audiences). metadata.name and
// metadata.namespace, when set, must be the path's (BadRequest otherwise).
// Then the admission plugins are asked (Lookups::admit: NodeRestriction,
// which lets a node ask only for tokens bound to its own pods).
//
// spec.boundObjectRef binds the token to an object, as Kubernetes 1.32
// does: a Pod or a Secret of the account's namespace, or a Node (core
// group), read through the Lookups; NotFound when it does not exist; BadRequest
// `cannot bind token for serviceaccount "x" to pod running with different
// serviceaccount name.` for a pod of another account; Conflict `Operation
// cannot be fulfilled on Pod "p": the UID in the bound object reference
// (U) does not match the UID in record. The object might have been
// deleted and then recreated` when a given uid is not the object's;
// BadRequest `cannot bind token to object of type apps/v1,
// Kind=Deployment` for any other kind. The token then carries the
// object's name and uid, and a pod's token its node's name and uid
// (token.h); it authenticates only while the object exists with that uid
// (apiserver/authn/service_account_token.h).
//
// A kubelet's token (bound to a pod, 3607 seconds, for the apiserver's own
// audiences) is extended as with kube-apiserver's
// --service-account-extend-token-expiration (on by default): its exp is a
// year away and its warnafter claim says when the 3607 seconds are over;
// status.expirationTimestamp is still now + 3607 s, when the kubelet
// renews it.
//
// Authorization happened before: the verb is create on
// serviceaccounts/token.
//
// Thread safety: a TokenIssuer is immutable after construction and may
// issue from several threads; the lookups must be safe to call
// concurrently.
#ifndef MINIK8S_APISERVER_SERVICEACCOUNT_TOKEN_REQUEST_H_
#define MINIK8S_APISERVER_SERVICEACCOUNT_TOKEN_REQUEST_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/serviceaccount/jwt.h"
#include "k8s/authentication/v1/authentication.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver::serviceaccount {

// How long a kubelet's extended token is valid (Kubernetes'
// ExpirationExtensionSeconds: a year).
inline constexpr int64_t kExtendedExpirationSeconds = 24 * 365 * 60 * 60;
// The lifetime that marks a kubelet's token (Kubernetes'
// WarnOnlyBoundTokenExpirationSeconds).
inline constexpr int64_t kWarnOnlyBoundTokenExpirationSeconds = 3607;

class TokenIssuer {
 public:
  // What the issuer reads besides the ServiceAccount. Unset lookups make
  // bound tokens of that kind fail with ServiceUnavailable.
  struct Lookups {
    // The ServiceAccount ns/name (Issue reads it); the API's NotFound when
    // there is none. The apiserver answers from its watch cache, else from
    // storage.
    std::function<absl::StatusOr<core::v1::ServiceAccount>(const std::string& ns,
                                                           const std::string& name)>
        service_account;
    // The pod ns/name; `uid` is the one the request names ("" none). The
    // apiserver answers from its watch cache when the cached pod has that
    // uid (or none is named), else from storage, so a pod deleted and made
    // again is not refused for a cache a moment behind.
    std::function<absl::StatusOr<core::v1::Pod>(const std::string& ns, const std::string& name,
                                                const std::string& uid)>
        pod;
    // The secret ns/name as stored; the API's NotFound when there is none.
    std::function<absl::StatusOr<core::v1::Secret>(const std::string& ns, const std::string& name)>
        secret;
    // The Node `name` as stored (NotFound when there is none), for tokens
    // bound to a Node.
    std::function<absl::StatusOr<core::v1::Node>(const std::string& name)> node;
    // The uid of the Node `name`; nullopt when there is none (the token
    // then names the node without a uid, as Kubernetes does).
    std::function<std::optional<std::string>(const std::string& name)> node_uid;
    // The admission plugins' verdict on `request` by `user` (null: the
    // apiserver's own request); unset: admitted.
    std::function<absl::Status(const authn::UserInfo* user,
                               const authentication::v1::TokenRequest& request)>
        admit;
  };

  // `issuer`: the iss of every token; `audiences`: the default audiences.
  TokenIssuer(JwtSigner signer, std::string issuer, std::vector<std::string> audiences,
              Lookups lookups = {})
      : signer_(std::move(signer)),
        issuer_(std::move(issuer)),
        audiences_(std::move(audiences)),
        lookups_(std::move(lookups)) {}

  // Answers `request` in place for `account` (the ServiceAccount the path
  // names) at `now`, asked by `user`: Kubernetes'
  // Invalid (422), BadRequest (400), NotFound, Conflict or Forbidden for a
  // request it refuses.
  absl::Status Answer(const core::v1::ServiceAccount& account, absl::Time now,
                      authentication::v1::TokenRequest* request,
                      const authn::UserInfo* user = nullptr) const;

  // The whole subresource create, as both the HTTP and the gRPC API serve
  // it: reads ServiceAccount ns/name (Lookups::service_account; NotFound
  // when missing, ServiceUnavailable when the lookup is unset) and answers
  // `request` for it.
  absl::Status Issue(const std::string& ns, const std::string& name, absl::Time now,
                     authentication::v1::TokenRequest* request,
                     const authn::UserInfo* user = nullptr) const;

  const std::string& issuer() const { return issuer_; }
  const std::vector<std::string>& audiences() const { return audiences_; }

 private:
  JwtSigner signer_;
  std::string issuer_;
  std::vector<std::string> audiences_;
  Lookups lookups_;
};

}  // namespace minik8s::apiserver::serviceaccount

#endif  // MINIK8S_APISERVER_SERVICEACCOUNT_TOKEN_REQUEST_H_
