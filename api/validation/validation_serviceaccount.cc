// Validation of ServiceAccounts and TokenRequests.
#include "api/validation/validation_serviceaccount.h"

#include "api/validation/validation.h"
#include "api/validation/validation_internal.h"

namespace minik8s::validation {

using internal::Append;
using minik8s::authentication::v1::TokenRequest;
using minik8s::core::v1::ServiceAccount;

FieldErrors ValidateServiceAccount(const ServiceAccount& account) {
  return ValidateObjectMeta(account.metadata(), true, NameRule::kDNS1123Subdomain,
                            FieldPath("metadata"));
}

FieldErrors ValidateServiceAccountUpdate(const ServiceAccount& account, const ServiceAccount& old) {
  FieldErrors errs =
      ValidateObjectMetaUpdate(account.metadata(), old.metadata(), FieldPath("metadata"));
  Append(&errs, ValidateServiceAccount(account));
  return errs;
}

void SetTokenRequestDefaults(TokenRequest* request) {
  if (!request->spec().has_expiration_seconds()) {
    request->mutable_spec()->set_expiration_seconds(kDefaultTokenExpirationSeconds);
  }
}

FieldErrors ValidateTokenRequest(const TokenRequest& request) {
  FieldErrors errs;
  const FieldPath spec("spec");
  const int64_t seconds = request.spec().expiration_seconds();
  if (seconds < kMinTokenExpirationSeconds) {
    errs.push_back(Invalid(spec.Child("expirationSeconds"), seconds,
                           "may not specify a duration less than 10 minutes"));
  }
  if (seconds > kMaxTokenExpirationSeconds) {
    errs.push_back(Invalid(spec.Child("expirationSeconds"), seconds,
                           "may not specify a duration larger than 2^32 seconds"));
  }
  return errs;
}

}  // namespace minik8s::validation
