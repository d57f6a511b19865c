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
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::apiserver {

// RFC 7386 MergePatch(target, patch) on node trees; returns a new tree.
YAML::Node MergePatchNodes(const YAML::Node& target, const YAML::Node& patch);

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ApplyMergePatch(
    const google::protobuf::Message& object, absl::string_view patch);

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_MERGE_PATCH_H_
