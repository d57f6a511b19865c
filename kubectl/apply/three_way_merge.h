// The three-way JSON merge patch of client-side `kubectl apply` for kinds
// without a strategic merge schema (jsonmergepatch.CreateThreeWayJSONMergePatch):
//
//   original  the last applied configuration (annotation
//             kubectl.kubernetes.io/last-applied-configuration), or null;
//   modified  the manifest being applied (with its new annotation);
//   current   the live object.
//
// The patch sets every field of `modified` whose value differs from
// `current` (maps compared key by key, lists replaced whole) and sets to
// null every field present in `original` but absent from `modified` and
// still present in `current` — fields the user removed from the manifest.
// Lists are compared whole, with one allowance: a list the user did not
// change since the last apply (equal in `original` and `modified`, or no
// `original`) whose live elements only add fields (the apiserver's defaults,
// e.g. a container port's `protocol: TCP`) is not patched; without a
// strategic merge schema this keeps a re-apply of an unchanged manifest
// `unchanged`.
// Fields only in `current` (defaults, status, fields set by others) are left
// alone. Example:
//   original {"spec":{"replicas":3,"paused":true}}
//   modified {"spec":{"replicas":5}}
//   current  {"spec":{"replicas":3,"paused":true,"strategy":{...}}}
//   patch    {"spec":{"replicas":5,"paused":null}}
// An empty patch (`{}`) means the object is unchanged.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_APPLY_THREE_WAY_MERGE_H_
#define MINIK8S_KUBECTL_APPLY_THREE_WAY_MERGE_H_

#include "yaml-cpp/yaml.h"

namespace minik8s::kubectl {

// Returns the patch as a map node (possibly empty). `original` may be
// undefined or null (first apply by this tool over an existing object).
YAML::Node ThreeWayMergePatch(const YAML::Node& original, const YAML::Node& modified,
                              const YAML::Node& current);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_APPLY_THREE_WAY_MERGE_H_
