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
//
// ValidateClaims accepts a token when its issuer is one of the accepted
// issuers, it has not expired and is already valid (both with a minute of
// leeway for clock skew, as Kubernetes allows), one of its audiences is one
// of the apiserver's, and sub agrees with the kubernetes.io claim. Whether
// the ServiceAccount still exists with that uid is the authenticator's
// question (apiserver/authn/service_account_token.h).
//
// Thread safety: pure functions.
#ifndef MINIK8S_APISERVER_SERVICEACCOUNT_TOKEN_H_
#define MINIK8S_APISERVER_SERVICEACCOUNT_TOKEN_H_

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
// The clock skew allowed on exp and nbf.
inline constexpr absl::Duration kLeeway = absl::Minutes(1);

// The ServiceAccount a token names.
struct AccountRef {
  std::string namespace_;
  std::string name;
  std::string uid;
  bool operator==(const AccountRef&) const = default;
};

// "system:serviceaccount:NS:NAME".
std::string ServiceAccountUserName(absl::string_view ns, absl::string_view name);

// The claims of a token for `account`, valid from `now` for `lifetime`,
// with the token id `jti` (a new UUID when empty).
v1::JwtClaims NewClaims(const std::string& issuer, const std::vector<std::string>& audiences,
                        const AccountRef& account, absl::Time now, absl::Duration lifetime,
                        std::string jti = "");

// What a valid token says.
struct ValidatedToken {
  AccountRef account;
  std::string jti;
  absl::Time expiration;
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
