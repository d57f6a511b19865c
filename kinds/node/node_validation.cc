// Node: defaulting and validation.
#include "k8s/core/v1/core.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules NodeRules() {
  return RulesOf<core::v1::Node, SetNodeDefaults, ValidateNode, ValidateNodeUpdate>("Node");
}

}  // namespace minik8s::validation
