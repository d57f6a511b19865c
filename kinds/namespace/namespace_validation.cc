// Namespace: defaulting and validation.
#include "k8s/core/v1/core.pb.h"
#include "kinds/validation_entry.h"

namespace minik8s::validation {

KindRules NamespaceRules() {
  return RulesOf<core::v1::Namespace, SetNamespaceDefaults, ValidateNamespace,
                 ValidateNamespaceUpdate>("Namespace");
}

}  // namespace minik8s::validation
