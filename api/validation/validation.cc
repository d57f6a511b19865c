#include "api/validation/validation.h"

#include "api/validation/kind_rules.h"

namespace minik8s::validation {

// The dispatch on the message type is the built-in KindRulesTable
// (kind_rules.h): the rules of each kind of kinds/kinds.def, defined in the
// kind's folder, name the functions of its API group's file
// (validation_core.cc, validation_apps.cc, validation_coordination.cc).

std::string_view QualifiedKind(const google::protobuf::Message& obj) {
  return KindRulesTable::Builtin().QualifiedKind(obj);
}

FieldErrors ValidateObject(const google::protobuf::Message& obj) {
  return KindRulesTable::Builtin().Validate(obj);
}

FieldErrors ValidateObjectUpdate(const google::protobuf::Message& obj,
                                 const google::protobuf::Message& old) {
  return KindRulesTable::Builtin().ValidateUpdate(obj, old);
}

}  // namespace minik8s::validation
