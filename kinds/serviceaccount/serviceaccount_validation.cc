// ServiceAccount: validation (api/validation/validation_serviceaccount.h).
#include "api/validation/validation_serviceaccount.h"
#include "k8s/core/v1/core.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules ServiceAccountRules() {
  return RulesOf<core::v1::ServiceAccount, nullptr, ValidateServiceAccount,
                 ValidateServiceAccountUpdate>("ServiceAccount");
}

}  // namespace minik8s::validation
