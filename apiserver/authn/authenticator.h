// Who is asking: the apiserver's authentication, as kube-apiserver's
// request authenticators do it for bearer tokens.
//
// --token-auth-file is kube-apiserver's static token file: CSV, one line a
// user, `token,user,uid[,"group1,group2"]`. A request that carries
// `Authorization: Bearer <token>` (HTTP) or the same `authorization`
// metadata (gRPC) is that user, with the group system:authenticated added.
// A token not in the file is refused (401). A request without credentials
// is system:anonymous (group system:unauthenticated); once an
// authenticator is configured, such requests are refused except for the
// endpoints Kubernetes shows everyone (/healthz, /livez, /readyz, /version,
// and the gRPC Version call).
//
// With no --token-auth-file the apiserver authenticates nobody and serves
// everyone as system:anonymous (kube-apiserver with no authenticator and
// AlwaysAllow).
//
// Thread safety: an Authenticator is immutable after construction.
#ifndef MINIK8S_APISERVER_AUTHN_AUTHENTICATOR_H_
#define MINIK8S_APISERVER_AUTHN_AUTHENTICATOR_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minik8s::apiserver::authn {

inline constexpr char kAnonymousUser[] = "system:anonymous";
inline constexpr char kUnauthenticatedGroup[] = "system:unauthenticated";
inline constexpr char kAuthenticatedGroup[] = "system:authenticated";

struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  bool operator==(const UserInfo&) const = default;
};

UserInfo Anonymous();

// The parsed --token-auth-file.
class TokenFile {
 public:
  // `source` names the file in errors. InvalidArgument for a line with fewer
  // than three fields, an empty token or user name, or unbalanced quotes.
  static absl::StatusOr<TokenFile> Parse(absl::string_view text, absl::string_view source);
  static absl::StatusOr<TokenFile> Load(const std::string& path);

  // The user a token names (groups as written), or nullptr.
  const UserInfo* Find(absl::string_view token) const;
  size_t size() const { return users_.size(); }

 private:
  absl::flat_hash_map<std::string, UserInfo> users_;
};

class Authenticator {
 public:
  enum class Outcome { kAnonymous, kAuthenticated, kRejected };
  struct Result {
    Outcome outcome = Outcome::kAnonymous;
    UserInfo user;  // anonymous unless kAuthenticated
  };

  explicit Authenticator(std::optional<TokenFile> tokens = std::nullopt)
      : tokens_(std::move(tokens)) {}

  // Whether any authenticator is configured: then anonymous requests are
  // refused outside the public endpoints.
  bool enabled() const { return tokens_.has_value(); }

  // From the Authorization header's (or metadata's) value; "" when absent.
  // A scheme other than Bearer is rejected when authentication is enabled.
  Result Authenticate(absl::string_view authorization) const;

 private:
  std::optional<TokenFile> tokens_;
};

// Kubernetes' answer to a request that fails authentication: 401, reason
// Unauthorized, message "Unauthorized".
absl::Status UnauthorizedError();

// Whether an anonymous caller may reach `path` of the HTTP API once
// authentication is enabled (Kubernetes' system:public-info-viewer).
bool IsPublicPath(absl::string_view path);

}  // namespace minik8s::apiserver::authn

#endif  // MINIK8S_APISERVER_AUTHN_AUTHENTICATOR_H_
