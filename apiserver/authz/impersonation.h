// Impersonation: a caller acts as another user, as kube-apiserver's
// impersonation filter (k8s.io/apiserver/pkg/endpoints/filters) lets it.
//
// The request carries the headers (HTTP) or metadata (gRPC, lower-case
// keys) of Kubernetes' authentication/v1 API:
//   Impersonate-User: bob              the user (first value counts);
//                                      `system:serviceaccount:<ns>:<name>`
//                                      names a service account
//   Impersonate-Group: dev             a group, repeatable
//   Impersonate-Uid: 1234              the uid
//   Impersonate-Extra-<key>: value     an extra value, repeatable; the key
//                                      is lower-cased and %-decoded
// Groups, a uid or extras without a user are refused (HTTP 500 as in
// Kubernetes: `requested [...] without impersonating a user`).
//
// Each thing asked for must be allowed to the caller by the authorizer, as
// verb `impersonate` on a resource (cluster scope, except a service
// account, which is checked in its namespace):
//   users (group "", name = the user)        serviceaccounts (group "")
//   groups (group "", name = the group)      uids (authentication.k8s.io)
//   userextras/<key> (authentication.k8s.io, name = the value)
// The first one refused ends the request with 403 and Kubernetes' message:
//   users "bob" is forbidden: User "alice" cannot impersonate resource
//   "users" in API group "" at the cluster scope
//
// The request then goes on as the impersonated user: its groups are those
// asked for (a service account without groups gets system:serviceaccounts
// and system:serviceaccounts:<ns>), plus system:authenticated unless
// system:authenticated or system:unauthenticated is among them
// (system:anonymous gets system:unauthenticated instead). The audit event
// keeps the caller as `user` and names the impersonated one as
// `impersonatedUser`.
//
// Thread safety: pure functions (the authorizer is safe to call
// concurrently).
#ifndef MINIK8S_APISERVER_AUTHZ_IMPERSONATION_H_
#define MINIK8S_APISERVER_AUTHZ_IMPERSONATION_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/authz/authorizer.h"

namespace minik8s::apiserver::authz {

// Header or metadata lines: (lower-case name, value), in the order sent.
using HeaderLines = std::vector<std::pair<std::string, std::string>>;

// Whether a header name (lower case) is one of impersonation's.
bool IsImpersonationHeader(absl::string_view name);

// One thing the caller asks to impersonate (Kubernetes builds an
// ObjectReference for each and prints them in its error messages).
struct ImpersonationRequest {
  enum class Kind { kUser, kServiceAccount, kGroup, kUserExtra, kUid };
  Kind kind = Kind::kUser;
  std::string namespace_;  // service accounts
  std::string name;        // the user, account, group, extra value or uid
  std::string extra_key;   // user extras
};

// What `headers` ask to impersonate (empty: nothing), or Internal
// `requested [...] without impersonating a user`.
absl::StatusOr<std::vector<ImpersonationRequest>> ParseImpersonation(const HeaderLines& headers);

// The user the request is made as: nullopt when `headers` ask for no
// impersonation; the impersonated user when `authorizer` (null: allow
// everything) lets `requestor` impersonate everything asked; Forbidden
// (403) naming the first thing refused; Internal as ParseImpersonation.
absl::StatusOr<std::optional<authn::UserInfo>> Impersonate(const Authorizer* authorizer,
                                                           const authn::UserInfo& requestor,
                                                           const HeaderLines& headers);

}  // namespace minik8s::apiserver::authz

#endif  // MINIK8S_APISERVER_AUTHZ_IMPERSONATION_H_
