// The defaulting and validation piece of every kind in kinds.def
// (kinds/<name>/<name>_validation.cc, compiled into minik8s_validation): a
// KindRules naming the kind's functions, which live in its API group's files
// (api/validation/defaults.cc, validation_<group>.cc) with the pieces they
// share. api/validation/kind_rules.cc lists them.
//
// Thread safety: the functions build new values.
#ifndef MINIK8S_KINDS_VALIDATION_ENTRY_H_
#define MINIK8S_KINDS_VALIDATION_ENTRY_H_

#include "api/validation/defaults.h"
#include "api/validation/kind_rules.h"
#include "api/validation/validation.h"

namespace minik8s::validation {

#define MINIK8S_KIND(Name) KindRules Name##Rules();
#include "kinds/kinds.def"
#undef MINIK8S_KIND

}  // namespace minik8s::validation

#endif  // MINIK8S_KINDS_VALIDATION_ENTRY_H_
