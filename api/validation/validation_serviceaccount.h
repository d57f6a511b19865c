// Validation of core/v1 ServiceAccounts and of authentication/v1
// TokenRequests, with Kubernetes' rules and messages
// (pkg/apis/core/validation ValidateServiceAccount and
// ValidateServiceAccountUpdate; pkg/apis/authentication/validation
// ValidateTokenRequest; SetDefaults_TokenRequestSpec).
//
// Thread safety: pure functions.
#ifndef MINIK8S_API_VALIDATION_VALIDATION_SERVICEACCOUNT_H_
#define MINIK8S_API_VALIDATION_VALIDATION_SERVICEACCOUNT_H_

#include <cstdint>

#include "api/validation/field_error.h"
#include "k8s/authentication/v1/authentication.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::validation {

// A token's lifetime when the request names none (one hour), the shortest
// one may ask for (ten minutes) and the longest (2^32 seconds).
inline constexpr int64_t kDefaultTokenExpirationSeconds = 3600;
inline constexpr int64_t kMinTokenExpirationSeconds = 600;
inline constexpr int64_t kMaxTokenExpirationSeconds = 4294967295;

// The name is a DNS-1123 subdomain; the usual metadata checks.
FieldErrors ValidateServiceAccount(const minik8s::core::v1::ServiceAccount& account);
FieldErrors ValidateServiceAccountUpdate(const minik8s::core::v1::ServiceAccount& account,
                                         const minik8s::core::v1::ServiceAccount& old);

// spec.expirationSeconds one hour when unset.
void SetTokenRequestDefaults(minik8s::authentication::v1::TokenRequest* request);
// spec.expirationSeconds between ten minutes and 2^32 seconds. As in
// Kubernetes, spec.boundObjectRef is not checked here: which kinds a token
// may be bound to, and that the object exists, is the TokenRequest
// handler's question (apiserver/serviceaccount/token_request.h).
FieldErrors ValidateTokenRequest(const minik8s::authentication::v1::TokenRequest& request);

}  // namespace minik8s::validation

#endif  // MINIK8S_API_VALIDATION_VALIDATION_SERVICEACCOUNT_H_
