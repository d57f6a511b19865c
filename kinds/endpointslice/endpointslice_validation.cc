// EndpointSlice: defaulting and validation
// (api/validation/validation_service.cc).
#include "api/validation/validation_service.h"
#include "k8s/discovery/v1/discovery.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules EndpointSliceRules() {
  return RulesOf<discovery::v1::EndpointSlice, SetEndpointSliceDefaults, ValidateEndpointSlice,
                 ValidateEndpointSliceUpdate>("EndpointSlice.discovery.k8s.io");
}

}  // namespace minik8s::validation
