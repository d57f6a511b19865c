// `--sort-by`: orders objects by the value at a JSONPath-like field path
// (`.metadata.creationTimestamp`, `{.lastTimestamp}`, `.spec.replicas`,
// `.spec.containers[0].image`). Numbers compare numerically, everything
// else as text (RFC3339 timestamps sort in time order); objects without the
// field sort first. The sort is stable, with one addition to kubectl's
// rule: Events that tie on the field are ordered by metadata.resourceVersion
// (the store revision: the order they were last written in), so events
// stamped within one second read in the order they happened rather than in
// the list's (by name) order.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_PRINTERS_SORT_H_
#define MINIK8S_KUBECTL_PRINTERS_SORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace minik8s::kubectl {

// The path's segments: `{.a.b[0].c}` → {"a", "b", "[0]", "c"}.
// InvalidArgument for an empty or malformed expression.
absl::StatusOr<std::vector<std::string>> ParseFieldPath(const std::string& expression);

absl::Status SortObjects(const std::string& expression,
                         std::vector<const google::protobuf::Message*>* objects);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_SORT_H_
