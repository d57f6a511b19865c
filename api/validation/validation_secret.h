// Defaulting and validation of core/v1 Secrets, with Kubernetes' rules and
// messages (pkg/apis/core/v1/defaults.go SetDefaults_Secret, the v1
// conversion that folds stringData into data, pkg/apis/core/validation
// ValidateSecret and ValidateSecretUpdate).
//
// Not checked: the JSON inside kubernetes.io/dockercfg and
// kubernetes.io/dockerconfigjson Secrets (only that the key is there).
//
// Thread safety: pure functions.
#ifndef MINIK8S_API_VALIDATION_VALIDATION_SECRET_H_
#define MINIK8S_API_VALIDATION_VALIDATION_SECRET_H_

#include "api/validation/field_error.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::validation {

inline constexpr char kSecretTypeOpaque[] = "Opaque";
inline constexpr char kSecretTypeBootstrapToken[] = "bootstrap.kubernetes.io/token";
// The most a Secret's data may hold, all values together (1 MiB).
inline constexpr int kMaxSecretSize = 1024 * 1024;

// type Opaque when unset; every stringData entry is written into data
// (replacing a data entry of the same key) and stringData is cleared, as
// the apiserver does before it validates or stores a Secret.
void SetSecretDefaults(minik8s::core::v1::Secret* secret);

FieldErrors ValidateSecret(const minik8s::core::v1::Secret& secret);
// type is immutable; once immutable is true, data and immutable are too.
FieldErrors ValidateSecretUpdate(const minik8s::core::v1::Secret& secret,
                                 const minik8s::core::v1::Secret& old);

}  // namespace minik8s::validation

#endif  // MINIK8S_API_VALIDATION_VALIDATION_SECRET_H_
