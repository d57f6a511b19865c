// Client-side apply bookkeeping: the annotation
// kubectl.kubernetes.io/last-applied-configuration holds the manifest as
// last applied (compact JSON, without the annotation itself, ending in a
// newline); the next apply diffs against it (three_way_merge.h).
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_APPLY_LAST_APPLIED_H_
#define MINIK8S_KUBECTL_APPLY_LAST_APPLIED_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace minik8s::kubectl {

inline constexpr char kLastAppliedAnnotation[] = "kubectl.kubernetes.io/last-applied-configuration";

// Sets the annotation on `manifest` to the manifest's own JSON.
void SetLastApplied(google::protobuf::Message* manifest);

// The merge patch (JSON text) that applies `manifest` (annotation already
// set by SetLastApplied) over `live`; "" when nothing would change.
// InvalidArgument when the live annotation is not valid JSON.
absl::StatusOr<std::string> ComputeApplyPatch(const google::protobuf::Message& manifest,
                                              const google::protobuf::Message& live);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_APPLY_LAST_APPLIED_H_
