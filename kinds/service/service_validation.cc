// Service: defaulting and validation (api/validation/validation_service.cc).
#include "api/validation/validation_service.h"
#include "k8s/core/v1/core.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules ServiceRules() {
  return RulesOf<core::v1::Service, SetServiceDefaults, ValidateService, ValidateServiceUpdate>(
      "Service");
}

}  // namespace minik8s::validation
