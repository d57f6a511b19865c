// ServiceAccount tokens: what kube-apiserver puts in one and what it checks
// before it believes one (pkg/serviceaccount claims.go and jwt.go).
//
// A token issued for the ServiceAccount NS/NAME (uid U) says:
//   iss  the issuer (--service-account-issuer; the first one signs)
//   sub  system:serviceaccount:NS:NAME
//   aud  the audiences asked for (default: --api-audiences, itself the
//        issuer by default)
//   iat, nbf  when it was issued; exp  iat + the lifetime asked for
//   jti  a random id (logged as the credential id)
//   kubernetes.io  {"namespace":NS,"serviceaccount":{"name":NAME,"uid":U}}
//                  plus, for a token bound to an object (a TokenRequest's
//                  spec.boundObjectRef), "pod", "secret" or "node":
//                  {name, uid};
//                  a pod's token also names its node ("node": {name, uid},
//                  the uid when the Node is known), as Kubernetes'
//                  ServiceAccountTokenPodNodeInfo does; and "warnafter"
//                  for a kubelet's token whose exp was extended (see
//                  token_request.h)
//
// ValidateClaims accepts a token when its issuer is one of the accepted
// issuers, it has not expired and is already valid (both with a minute of
// leeway for clock skew, as Kubernetes allows), one of its audiences is one
// of the apiserver's, and sub agrees with the kubernetes.io claim. Whether
// the ServiceAccount, and the object the token is bound to, still exist
// with those uids is the authenticator's question
// (apiserver/authn/service_account_token.h).
//
// Thread safety: pure functions.
#ifndef MINIK8S_APISERVER_SERVICEACCOUNT_TOKEN_H_
#define MINIK8S_APISERVER_SERVICEACCOUNT_TOKEN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "apiserver/v1/jwt.pb.h"

namespace minik8s::apiserver::serviceaccount {

inline constexpr char kDefaultIssuer[] = "https://kubernetes.default.svc.cluster.local";
inline constexpr char kServiceAccountUserPrefix[] = "system:serviceaccount:";
inline constexpr char kServiceAccountsGroup[] = "system:serviceaccounts";
inline constexpr char kServiceAccountsGroupPrefix[] = "system:serviceaccounts:";
// Where the token's jti shows in the user's extra, as Kubernetes puts it.
inline constexpr char kCredentialIdKey[] = "authentication.kubernetes.io/credential-id";
// Where a pod-bound token's pod and node show in the user's extra.
inline constexpr char kPodNameKey[] = "authentication.kubernetes.io/pod-name";
inline constexpr char kPodUidKey[] = "authentication.kubernetes.io/pod-uid";
inline constexpr char kNodeNameKey[] = "authentication.kubernetes.io/node-name";
inline constexpr char kNodeUidKey[] = "authentication.kubernetes.io/node-uid";
// The clock skew allowed on exp and nbf.
inline constexpr absl::Duration kLeeway = absl::Minutes(1);

// The ServiceAccount a token names.
struct AccountRef {
  std::string namespace_;
  std::string name;
  std::string uid;
  bool operator==(const AccountRef&) const = default;
};

// An object a token is bound to (its uid may be empty for a node that was
// not found when the token was issued).
struct ObjectRef {
  std::string name;
  std::string uid;
  bool operator==(const ObjectRef&) const = default;
};

// The objects a token is bound to: one of pod, secret and node, and node
// also beside pod (the pod's node).
struct BoundObjects {
  std::optional<ObjectRef> pod;
  std::optional<ObjectRef> secret;
  std::optional<ObjectRef> node;
  bool operator==(const BoundObjects&) const = default;
};

// "system:serviceaccount:NS:NAME".
std::string ServiceAccountUserName(absl::string_view ns, absl::string_view name);

// The claims of a token for `account`, valid from `now` for `lifetime`,
// with the token id `jti` (a new UUID when empty), bound to `bound`, and
// with warnafter `now` + `warn_after` when that is not zero.
v1::JwtClaims NewClaims(const std::string& issuer, const std::vector<std::string>& audiences,
                        const AccountRef& account, absl::Time now, absl::Duration lifetime,
                        std::string jti = "", const BoundObjects& bound = {},
                        absl::Duration warn_after = absl::ZeroDuration());

// What a valid token says.
struct ValidatedToken {
  AccountRef account;
  std::string jti;
  absl::Time expiration;
  absl::Time issued_at;  // InfinitePast when the token has no iat
  BoundObjects bound;
};

// Checks `claims` (already verified as signed by a trusted key) at `now`
// against the accepted issuers and audiences. Unauthenticated with the
// reason for a token that is not acceptable.
absl::StatusOr<ValidatedToken> ValidateClaims(const v1::JwtClaims& claims,
                                              const std::vector<std::string>& issuers,
                                              const std::vector<std::string>& audiences,
                                              absl::Time now);

}  // namespace minik8s::apiserver::serviceaccount

#endif  // MINIK8S_APISERVER_SERVICEACCOUNT_TOKEN_H_
