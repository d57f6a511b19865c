// Patches of API objects: JSON merge patch, strategic merge patch and JSON
// patch, dispatched by type (ApplyPatch).
//
// JSON merge patch (RFC 7386) of an API object, applied on its JSON form
// through the codec (api/codec.h): the object is encoded to a node tree, the
// patch merged in (null deletes a key, objects merge recursively, anything
// else replaces), and the result decoded strictly back into a message of the
// same type.
//
// Errors (BadRequest): a patch that is not valid JSON or not a JSON object,
// or a result the codec rejects (unknown field, wrong type) with the codec's
// message.
//
// Thread safety: pure functions.
#ifndef MINIK8S_APISERVER_MERGE_PATCH_H_
#define MINIK8S_APISERVER_MERGE_PATCH_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::apiserver {

// RFC 7386 MergePatch(target, patch) on node trees; returns a new tree.
// Throws YAML::Exception for a mapping key of the patch that is not a
// scalar (ApplyMergePatch turns that into BadRequest).
YAML::Node MergePatchNodes(const YAML::Node& target, const YAML::Node& patch);

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ApplyMergePatch(
    const google::protobuf::Message& object, absl::string_view patch);

// The patch types the apiserver applies (PATCH's Content-Type).
inline constexpr char kMergePatchType[] = "application/merge-patch+json";
inline constexpr char kStrategicMergePatchType[] = "application/strategic-merge-patch+json";
inline constexpr char kJsonPatchType[] = "application/json-patch+json";

// Applies `patch` of `patch_type` ("" counts as merge patch) to `object`:
// JSON merge patch (above), Kubernetes' strategic merge patch with the
// merge keys and strategies of the object's type (api/patch/), or a JSON
// patch (RFC 6902). The result is decoded strictly back into the object's
// type. Errors: 415 UnsupportedMediaType for another type, BadRequest for a
// malformed patch or result, Invalid (422) for a JSON patch whose operation
// cannot apply (a failed test, a missing path).
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ApplyPatch(
    const google::protobuf::Message& object, absl::string_view patch_type, absl::string_view patch);

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_MERGE_PATCH_H_
