// Who is asking: the apiserver's authentication, as kube-apiserver's
// request authenticators do it for client certificates and bearer tokens.
//
// --client-ca-file turns on x509 authentication: a client certificate the
// TLS handshake verified against that CA names the user (its Common Name)
// and the groups (its Organizations), plus system:authenticated. It is
// tried first; a request with a verified certificate is that user whatever
// else it carries.
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
// --enable-bootstrap-token-auth adds bootstrap tokens (bootstrap_token.h),
// tried after the token file; --service-account-key-file adds
// ServiceAccount tokens (service_account_token.h), tried last.
//
// With neither --client-ca-file nor --token-auth-file the apiserver authenticates nobody and serves
// everyone as system:anonymous (kube-apiserver with no authenticator and
// AlwaysAllow).
//
// Thread safety: an Authenticator is immutable after construction.
#ifndef MINIK8S_APISERVER_AUTHN_AUTHENTICATOR_H_
#define MINIK8S_APISERVER_AUTHN_AUTHENTICATOR_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/tls.h"

namespace minik8s::apiserver::authn {

inline constexpr char kAnonymousUser[] = "system:anonymous";
inline constexpr char kUnauthenticatedGroup[] = "system:unauthenticated";
inline constexpr char kAuthenticatedGroup[] = "system:authenticated";

struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  // Kubernetes' user extra (key → values): impersonation's, and a
  // ServiceAccount token's credential id, pod and node.
  std::map<std::string, std::vector<std::string>> extra;
  bool operator==(const UserInfo&) const = default;
};

UserInfo Anonymous();

// What a verified TLS client certificate says: Subject CN and O.
using CertificateIdentity = CertificateSubject;

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

class BootstrapTokenAuthenticator;
class ServiceAccountTokenAuthenticator;

class Authenticator {
 public:
  enum class Outcome { kAnonymous, kAuthenticated, kRejected };
  struct Result {
    Outcome outcome = Outcome::kAnonymous;
    UserInfo user;  // anonymous unless kAuthenticated
  };

  // `bootstrap` (borrowed, may be null): bootstrap tokens
  // (bootstrap_token.h), tried after the token file. `service_accounts`
  // (borrowed, may be null): ServiceAccount tokens, tried after those.
  // `api_audiences`: the apiserver's audiences (--api-audiences, by
  // default the first ServiceAccount issuer), which AuthenticateToken
  // checks tokens of the file and bootstrap tokens against.
  explicit Authenticator(std::optional<TokenFile> tokens = std::nullopt,
                         bool client_certificates = false,
                         const BootstrapTokenAuthenticator* bootstrap = nullptr,
                         const ServiceAccountTokenAuthenticator* service_accounts = nullptr,
                         std::vector<std::string> api_audiences = {})
      : tokens_(std::move(tokens)),
        client_certificates_(client_certificates),
        bootstrap_(bootstrap),
        service_accounts_(service_accounts),
        api_audiences_(std::move(api_audiences)) {}

  // Whether any authenticator is configured: then anonymous requests are
  // refused outside the public endpoints.
  bool enabled() const {
    return tokens_.has_value() || client_certificates_ || bootstrap_ != nullptr ||
           service_accounts_ != nullptr;
  }

  // From the connection's verified client certificate (nullptr: none) and
  // the Authorization header's (or metadata's) value ("" when absent). With
  // a token file, bootstrap tokens or ServiceAccount tokens, a scheme other
  // than Bearer or an unknown token is rejected; without any of them the
  // header is not looked at.
  Result Authenticate(absl::string_view authorization,
                      const CertificateIdentity* certificate = nullptr) const;

  // Whether any bearer token authenticator is configured (a token file,
  // bootstrap tokens or ServiceAccount tokens).
  bool authenticates_tokens() const {
    return tokens_.has_value() || bootstrap_ != nullptr || service_accounts_ != nullptr;
  }

  // A bearer token on its own, as a TokenReview asks, for `audiences`
  // (kube-apiserver's token authenticators in a context with audiences):
  // a ServiceAccount token must name one of them; tokens of the file and
  // bootstrap tokens, which name none, count only when one of `audiences`
  // is one of api_audiences(). The answer's `audiences` are those of
  // `audiences` the token is valid for. Empty `audiences`: no audience is
  // asked for (ServiceAccount tokens are checked against the apiserver's
  // audiences, the others pass, and the answer names none), as a request's
  // bearer token is checked.
  struct TokenResult {
    bool authenticated = false;
    UserInfo user;  // set when authenticated
    std::vector<std::string> audiences;
  };
  TokenResult AuthenticateToken(absl::string_view token,
                                const std::vector<std::string>& audiences) const;

  const std::vector<std::string>& api_audiences() const { return api_audiences_; }

 private:
  std::optional<TokenFile> tokens_;
  bool client_certificates_ = false;
  const BootstrapTokenAuthenticator* bootstrap_ = nullptr;
  const ServiceAccountTokenAuthenticator* service_accounts_ = nullptr;
  std::vector<std::string> api_audiences_;
};

// Kubernetes' answer to a request that fails authentication: 401, reason
// Unauthorized, message "Unauthorized".
absl::Status UnauthorizedError();

// Whether an anonymous caller may reach `path` of the HTTP API once
// authentication is enabled (Kubernetes' system:public-info-viewer).
bool IsPublicPath(absl::string_view path);

}  // namespace minik8s::apiserver::authn

#endif  // MINIK8S_APISERVER_AUTHN_AUTHENTICATOR_H_
