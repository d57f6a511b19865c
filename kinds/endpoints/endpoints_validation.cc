// Endpoints: defaulting and validation (api/validation/validation_service.cc).
#include "api/validation/validation_service.h"
#include "k8s/core/v1/core.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules EndpointsRules() {
  return RulesOf<core::v1::Endpoints, SetEndpointsDefaults, ValidateEndpoints,
                 ValidateEndpointsUpdate>("Endpoints");
}

}  // namespace minik8s::validation
