// Event: defaulting and validation.
#include "k8s/core/v1/core.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules EventRules() {
  return RulesOf<core::v1::Event, nullptr, ValidateEvent, ValidateEventUpdate>("Event");
}

}  // namespace minik8s::validation
