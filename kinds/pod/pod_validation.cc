// Pod: defaulting and validation.
#include "k8s/core/v1/core.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules PodRules() {
  return RulesOf<core::v1::Pod, SetPodDefaults, ValidatePod, ValidatePodUpdate>("Pod");
}

}  // namespace minik8s::validation
