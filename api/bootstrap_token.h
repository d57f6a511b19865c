// Bootstrap tokens as Kubernetes defines them (k8s.io/cluster-bootstrap):
// "<id>.<secret>" ([a-z0-9]{6} "." [a-z0-9]{16}), kept in the Secret
// kube-system/bootstrap-token-<id> of type bootstrap.kubernetes.io/token
// with the data keys below. The apiserver authenticates them
// (apiserver/authn/bootstrap_token.h); `minik8s up` makes one and
// `minik8s join` presents it (cluster/join.h).
//
// Thread safety: pure functions.
#ifndef MINIK8S_API_BOOTSTRAP_TOKEN_H_
#define MINIK8S_API_BOOTSTRAP_TOKEN_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minik8s::api {

inline constexpr char kBootstrapTokenNamespace[] = "kube-system";
inline constexpr char kBootstrapTokenSecretPrefix[] = "bootstrap-token-";
inline constexpr char kBootstrapTokenSecretType[] = "bootstrap.kubernetes.io/token";
inline constexpr char kBootstrapUserPrefix[] = "system:bootstrap:";
inline constexpr char kBootstrappersGroup[] = "system:bootstrappers";
// The Secret's data keys.
inline constexpr char kBootstrapTokenIdKey[] = "token-id";
inline constexpr char kBootstrapTokenSecretKey[] = "token-secret";
inline constexpr char kBootstrapTokenExpirationKey[] = "expiration";
inline constexpr char kBootstrapTokenUsageAuthenticationKey[] = "usage-bootstrap-authentication";
inline constexpr char kBootstrapTokenUsageSigningKey[] = "usage-bootstrap-signing";
inline constexpr char kBootstrapTokenExtraGroupsKey[] = "auth-extra-groups";
inline constexpr char kBootstrapTokenDescriptionKey[] = "description";

struct BootstrapToken {
  std::string id;      // 6 characters
  std::string secret;  // 16 characters
};

// Splits "<id>.<secret>"; nullopt when `token` does not have that form.
std::optional<BootstrapToken> ParseBootstrapToken(absl::string_view token);

// A new random token (from the kernel's CSPRNG, getrandom(2)).
absl::StatusOr<BootstrapToken> GenerateBootstrapToken();

}  // namespace minik8s::api

#endif  // MINIK8S_API_BOOTSTRAP_TOKEN_H_
