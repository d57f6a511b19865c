#include "apiserver/merge_patch.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/errors.h"
#include "api/patch/json_patch.h"
#include "api/patch/strategic_merge_patch.h"
#include "api/yaml_limits.h"

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
  absl::StatusOr<YAML::Node> parsed = api::LoadLimited(patch);
  if (!parsed.ok()) {
    return api::NewBadRequest(
        absl::StrCat("invalid JSON merge patch: ", parsed.status().message()));
  }
  const YAML::Node patch_node = *std::move(parsed);
  if (!patch_node.IsMap()) {
    return api::NewBadRequest("invalid JSON merge patch: the patch must be a JSON object");
  }
  std::unique_ptr<google::protobuf::Message> out(object.New());
  try {
    YAML::Node merged = MergePatchNodes(api::EncodeNode(object), patch_node);
    absl::Status status = api::DecodeNode(merged, out.get());
    if (!status.ok()) return api::NewBadRequest(status.message());
  } catch (const YAML::Exception& e) {
    return api::NewBadRequest(absl::StrCat("invalid JSON merge patch: ", e.what()));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ApplyPatch(
    const google::protobuf::Message& object, absl::string_view patch_type,
    absl::string_view patch) {
  if (patch_type.empty() || patch_type == kMergePatchType) return ApplyMergePatch(object, patch);
  const bool strategic = patch_type == kStrategicMergePatchType;
  if (!strategic && patch_type != kJsonPatchType) {
    return api::NewApiError(
        absl::StatusCode::kInvalidArgument, "UnsupportedMediaType", 415,
        absl::StrCat("the body of the request was in an unknown format - accepted "
                     "media types include: ",
                     kJsonPatchType, ", ", kMergePatchType, ", ", kStrategicMergePatchType),
        {});
  }
  const char* what = strategic ? "strategic merge patch" : "JSON patch";
  absl::StatusOr<YAML::Node> parsed = api::LoadLimited(patch);
  if (!parsed.ok()) {
    return api::NewBadRequest(absl::StrCat("invalid ", what, ": ", parsed.status().message()));
  }
  const YAML::Node patch_node = *std::move(parsed);
  absl::StatusOr<YAML::Node> patched;
  try {
    if (strategic) {
      if (!patch_node.IsMap()) {
        return api::NewBadRequest("invalid strategic merge patch: the patch must be a JSON object");
      }
      patched =
          patch::StrategicMergePatch(api::EncodeNode(object), patch_node, object.GetDescriptor());
    } else {
      if (!patch_node.IsSequence()) {
        return api::NewBadRequest(
            "invalid JSON patch: the patch must be a JSON array of operations");
      }
      patched = patch::ApplyJsonPatch(api::EncodeNode(object), patch_node);
    }
  } catch (const YAML::Exception& e) {
    return api::NewBadRequest(absl::StrCat("invalid ", what, ": ", e.what()));
  }
  if (!patched.ok()) {
    if (strategic) return api::NewBadRequest(patched.status().message());
    return api::NewApiError(absl::StatusCode::kInvalidArgument, "Invalid", 422,
                            std::string(patched.status().message()), {});
  }
  std::unique_ptr<google::protobuf::Message> out(object.New());
  absl::Status status = api::DecodeNode(*patched, out.get());
  if (!status.ok()) return api::NewBadRequest(status.message());
  return out;
}

}  // namespace minik8s::apiserver
