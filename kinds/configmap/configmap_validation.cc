// ConfigMap: validation (api/validation/validation_configmap.h); no
// defaulting.
#include "api/validation/validation_configmap.h"
#include "k8s/core/v1/core.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules ConfigMapRules() {
  return RulesOf<core::v1::ConfigMap, nullptr, ValidateConfigMap, ValidateConfigMapUpdate>(
      "ConfigMap");
}

}  // namespace minik8s::validation
