// Secret: defaulting and validation (api/validation/validation_secret.h).
#include "api/validation/validation_secret.h"
#include "k8s/core/v1/core.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules SecretRules() {
  return RulesOf<core::v1::Secret, SetSecretDefaults, ValidateSecret, ValidateSecretUpdate>(
      "Secret");
}

}  // namespace minik8s::validation
