// Kubernetes' strategic merge patch (`application/strategic-merge-patch+json`),
// as apimachinery's pkg/util/strategicpatch applies it on the server
// (StrategicMergePatch / mergeMap / mergeSlice), on the JSON form of an API
// object (api::EncodeNode). The patch metadata comes from the field options of
// our type definitions (proto/k8s/meta/v1/field_options.proto), which mirror
// the `patchStrategy` / `patchMergeKey` tags of k8s.io/api.
//
// Rules, field by field (fields found by JSON name, into nested messages and
// map values; Quantity, IntOrString, Time and MicroTime are scalars):
//   - null deletes the key; an absent key is kept;
//   - objects merge recursively; a field with patchStrategy "replace" is
//     replaced whole;
//   - lists with patchStrategy "merge" and a merge key merge element-wise:
//     an element whose merge key matches an existing one is merged into it,
//     others are added; lists of primitives with "merge" are unioned (no
//     duplicates); every other list, and every scalar, is replaced;
//   - the merged list is ordered as Kubernetes orders it: patch elements in
//     patch order, existing elements not in the patch in their old order,
//     each old element placed before the first patch element that followed
//     it in the old list (so new elements come first:
//     [a, b] + [c] = [c, a, b]).
// Directives:
//   - `$patch: replace` in an object replaces the object with the rest of the
//     patch object; `$patch: delete` makes it empty; `$patch: merge` merges
//     as usual (Kubernetes rejects it in objects; accepting it is harmless);
//   - in a merging list, `{<key>: v, $patch: delete}` removes the elements
//     with merge key v and `{$patch: replace}` replaces the list with the
//     other patch elements; `$patch: merge` there is an error, as upstream;
//   - `$retainKeys: [k...]` in an object drops the object's other keys (and
//     every non-null key of the patch object must be listed);
//   - `$setElementOrder/<list>: [...]` orders the merged list (elements
//     listed in the order given, others kept in their old order);
//   - `$deleteFromPrimitiveList/<list>: [...]` removes those values from a
//     merging list of primitives.
// A value the original lacks is taken from the patch with its directives
// applied and its nulls dropped.
//
// Errors are absl::InvalidArgumentError, worded like apimachinery's: an
// unknown `$patch` value, a merging-list element without its merge key, a
// malformed directive, mixed element types in a merging list, a field the
// type does not have where both sides hold a value, a patch or original
// that is not an object, or an input nested more than 1,000 levels deep
// (or holding more than a million values). `$deleteFromPrimitiveList` on a
// list that is not a merging list of primitives is an error here (upstream
// would replace the list with the values to delete).
//
// The result is a new tree that shares no node with `original` or `patch`;
// string scalars keep their "!" tag, so api::DecodeNode reads the result
// strictly into a message of `type`.
//
// Thread safety: a pure function; safe to call concurrently.
#ifndef MINIK8S_API_PATCH_STRATEGIC_MERGE_PATCH_H_
#define MINIK8S_API_PATCH_STRATEGIC_MERGE_PATCH_H_

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::patch {

// Applies `patch` (a JSON object) to `original` (the JSON object of a
// message of `type`, as api::EncodeNode gives it). With `type` == nullptr
// objects merge without metadata (every list is replaced) and directives
// still apply.
absl::StatusOr<YAML::Node> StrategicMergePatch(const YAML::Node& original, const YAML::Node& patch,
                                               const google::protobuf::Descriptor* type);

}  // namespace minik8s::patch

#endif  // MINIK8S_API_PATCH_STRATEGIC_MERGE_PATCH_H_
