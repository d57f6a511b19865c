// Fuzzes PATCH: JSON merge patch (RFC 7386), Kubernetes' strategic merge
// patch and JSON patch (RFC 6902) through apiserver::ApplyPatch, the
// function the apiserver's PATCH verb calls, on a Pod and a Deployment. The
// first input byte picks the object and the patch type, the rest is the
// patch body. Also the raw merge (MergePatchNodes) and the strategic merge
// without a type (every list replaced), which see node trees the strict
// decode would refuse.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "api/codec.h"
#include "api/patch/strategic_merge_patch.h"
#include "api/yaml_limits.h"
#include "apiserver/merge_patch.h"
#include "fuzz/fuzz_util.h"

namespace {

constexpr char kPod[] = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web",
"namespace":"default","labels":{"app":"web"},"finalizers":["a/b"]},"spec":{"containers":[
{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80,"protocol":"TCP"}],
"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
"resources":{"requests":{"cpu":"100m","memory":"64Mi"}}},
{"name":"side","image":"busybox","args":["sleep","3600"]}],
"tolerations":[{"key":"k","operator":"Exists","effect":"NoExecute","tolerationSeconds":60}],
"volumes":[{"name":"v","emptyDir":{}}]},"status":{"phase":"Running",
"conditions":[{"type":"Ready","status":"True"}]}})";

constexpr char kDeployment[] = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{
"name":"web","namespace":"default","labels":{"app":"web"},"annotations":{"a":"b"}},
"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"strategy":{"type":
"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":"25%"}},"template":{
"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx",
"ports":[{"containerPort":80}]}]}}}})";

const char* const kPatchTypes[] = {minik8s::apiserver::kMergePatchType,
                                   minik8s::apiserver::kStrategicMergePatchType,
                                   minik8s::apiserver::kJsonPatchType};

std::unique_ptr<google::protobuf::Message> DecodeObject(const char* text) {
  absl::StatusOr<minik8s::api::DecodedObject> decoded = minik8s::api::Decode(text);
  if (!decoded.ok()) std::abort();
  return std::move(decoded->object);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const google::protobuf::Message* const kObjects[] = {DecodeObject(kPod).release(),
                                                              DecodeObject(kDeployment).release()};
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  const absl::string_view patch(reinterpret_cast<const char*>(data + 1), size - 1);
  const google::protobuf::Message& object = *kObjects[selector % 2];
  const char* patch_type = kPatchTypes[(selector / 2) % 3];

  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> patched =
      minik8s::apiserver::ApplyPatch(object, patch_type, patch);
  if (patched.ok()) {
    MINIK8S_FUZZ_CHECK((*patched)->GetDescriptor() == object.GetDescriptor(),
                       "a patch keeps the object's type");
  }

  // The node-level merges, on whatever the patch parses to.
  absl::StatusOr<YAML::Node> node = minik8s::api::LoadLimited(patch);
  if (node.ok()) {
    YAML::Node original = minik8s::api::EncodeNode(object);
    try {
      (void)minik8s::apiserver::MergePatchNodes(original, *node);
    } catch (const YAML::Exception&) {
      // Documented: a key that is not a scalar.
    }
    (void)minik8s::patch::StrategicMergePatch(original, *node, nullptr);
  }
  return 0;
}
