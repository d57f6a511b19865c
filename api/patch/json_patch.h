// JSON Patch (RFC 6902, `application/json-patch+json`) on a JSON document
// held as a yaml-cpp node tree (api::EncodeNode's form of an API object).
//
// A patch is an array of operations applied in order, each on the result of
// the previous one; the first failure stops the patch and the document is
// left unchanged (the caller's tree is never modified):
//   {"op": "add",     "path": P, "value": V}  insert into an array (index
//                     or "-" to append) or set an object member
//   {"op": "remove",  "path": P}              P must exist
//   {"op": "replace", "path": P, "value": V}  P must exist
//   {"op": "move",    "from": F, "path": P}   remove F, add at P; F may not
//                     be a proper prefix of P
//   {"op": "copy",    "from": F, "path": P}   add a deep copy of F at P
//   {"op": "test",    "path": P, "value": V}  P must equal V (numbers by
//                     value, objects regardless of member order)
// Paths are RFC 6901 JSON pointers: "" is the whole document, "/a/0/b~1c"
// walks member "a", element 0, member "b/c" ("~0" is "~", "~1" is "/").
// Array indices are "0" or digits without a leading zero; "-" (past the
// end) is accepted only where a value is added.
//
// Errors are absl::InvalidArgumentError worded like the evanphx/json-patch
// library that the Kubernetes apiserver uses, e.g.
//   add operation does not apply: doc is missing path: "/spec/x/y": missing value
//   testing value /spec/replicas failed: test failed
//   Unexpected kind: frobnicate
// Limits: at most kMaxJsonPatchOperations operations; documents, patches and
// their results nested at most 1,000 levels deep; at most a million values
// copied by "copy" operations in total.
//
// Thread safety: a pure function; safe to call concurrently.
#ifndef MINIK8S_API_PATCH_JSON_PATCH_H_
#define MINIK8S_API_PATCH_JSON_PATCH_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::patch {

inline constexpr size_t kMaxJsonPatchOperations = 10000;

// Applies `operations` (a JSON array) to `document`. Returns a new tree that
// shares no node with either input; string scalars keep their "!" tag.
absl::StatusOr<YAML::Node> ApplyJsonPatch(const YAML::Node& document, const YAML::Node& operations);

}  // namespace minik8s::patch

#endif  // MINIK8S_API_PATCH_JSON_PATCH_H_
