// What `mkctl wait --for=...` waits for, and whether an object meets it, as
// kubectl v1.32 reads and checks it:
//   --for=delete                      the object is gone
//   --for=create                      the object exists
//   --for=condition=NAME[=VALUE]      status.conditions has type NAME (any
//                                     case) with status VALUE (default
//                                     "True", any case), and the condition's
//                                     (else status's) observedGeneration is
//                                     not behind metadata.generation
//   --for=jsonpath=EXPR[=VALUE]       EXPR ({.a.b}, .a.b or a.b) finds one
//                                     value printing as VALUE, or, without
//                                     VALUE, finds anything
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_CMD_WAIT_CONDITION_H_
#define MINIK8S_KUBECTL_CMD_WAIT_CONDITION_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "kubectl/printers/jsonpath.h"

namespace minik8s::kubectl {

struct WaitFor {
  enum class Kind { kDelete, kCreate, kCondition, kJsonPath };
  Kind kind = Kind::kCondition;
  std::string condition;   // kCondition: the type
  std::string value;       // kCondition: wanted status; kJsonPath: wanted value
  std::string jsonpath;    // kJsonPath: the template, with braces
  bool has_value = false;  // kJsonPath: a value was given
};

// Parses --for; InvalidArgument in kubectl's words (`unrecognized
// condition: "x"`, `jsonpath expression cannot be empty`, ...).
absl::StatusOr<WaitFor> ParseWaitFor(const std::string& text);

// Whether `object` (as `get -o json` shows it) meets a condition or jsonpath
// wait; InvalidArgument when the jsonpath leads to a map or a list.
absl::StatusOr<bool> WaitConditionMet(const WaitFor& wait, const jsonpath::Value& object);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_WAIT_CONDITION_H_
