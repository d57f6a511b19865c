#include "apiserver/merge_patch.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "apiserver/errors.h"

namespace minik8s::apiserver {

YAML::Node MergePatchNodes(const YAML::Node& target, const YAML::Node& patch) {
  if (!patch.IsMap()) return YAML::Clone(patch);
  YAML::Node result = target.IsMap() ? YAML::Clone(target) : YAML::Node(YAML::NodeType::Map);
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    // A copy: `it->second` lives in a proxy that dies with this statement.
    const YAML::Node value = it->second;
    if (value.IsNull()) {
      result.remove(key);
    } else if (value.IsMap()) {
      YAML::Node existing = result[key];
      result[key] = MergePatchNodes(existing.IsDefined() ? existing : YAML::Node(), value);
    } else {
      result[key] = YAML::Clone(value);
    }
  }
  return result;
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ApplyMergePatch(
    const google::protobuf::Message& object, absl::string_view patch) {
  YAML::Node patch_node;
  try {
    patch_node = YAML::Load(std::string(patch));
  } catch (const YAML::Exception& e) {
    return NewBadRequest(absl::StrCat("invalid JSON merge patch: ", e.what()));
  }
  if (!patch_node.IsMap()) {
    return NewBadRequest("invalid JSON merge patch: the patch must be a JSON object");
  }
  std::unique_ptr<google::protobuf::Message> out(object.New());
  try {
    YAML::Node merged = MergePatchNodes(api::EncodeNode(object), patch_node);
    absl::Status status = api::DecodeNode(merged, out.get());
    if (!status.ok()) return NewBadRequest(status.message());
  } catch (const YAML::Exception& e) {
    return NewBadRequest(absl::StrCat("invalid JSON merge patch: ", e.what()));
  }
  return out;
}

}  // namespace minik8s::apiserver
