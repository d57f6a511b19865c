#include "kubectl/apply/last_applied.h"

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/yaml_limits.h"
#include "client/resource.h"
#include "kubectl/apply/json_node.h"
#include "kubectl/apply/three_way_merge.h"

namespace minik8s::kubectl {

void SetLastApplied(google::protobuf::Message* manifest) {
  auto* annotations = client::MutableMetaOf(manifest)->mutable_annotations();
  annotations->erase(kLastAppliedAnnotation);
  const std::string json = absl::StrCat(api::EncodeJson(*manifest), "\n");
  (*annotations)[kLastAppliedAnnotation] = json;
}

absl::StatusOr<std::string> ComputeApplyPatch(const google::protobuf::Message& manifest,
                                              const google::protobuf::Message& live) {
  YAML::Node original(YAML::NodeType::Null);
  const auto& annotations = client::MetaOf(live).annotations();
  auto it = annotations.find(kLastAppliedAnnotation);
  if (it != annotations.end() && !it->second.empty()) {
    absl::StatusOr<YAML::Node> parsed = api::LoadLimited(it->second);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "error reading annotation ", kLastAppliedAnnotation, ": ", parsed.status().message()));
    }
    original = *parsed;
  }
  YAML::Node patch = ThreeWayMergePatch(original, api::EncodeNode(manifest), api::EncodeNode(live));
  // The type of an object cannot change; the apiserver may omit it.
  patch.remove("apiVersion");
  patch.remove("kind");
  if (patch.size() == 0) return std::string();
  return NodeToJson(patch);
}

}  // namespace minik8s::kubectl
