#include "api/patch/strategic_merge_patch.h"

#include <string>

#include "api/codec.h"
#include "api/patch/json_value.h"
#include "gtest/gtest.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/meta/v1/field_options.pb.h"
#include "tests/api/patch/patch_test_util.h"

namespace minik8s::patch {
namespace {

using minik8s::apps::v1::Deployment;
using minik8s::core::v1::Pod;

const google::protobuf::Descriptor* kPod = Pod::descriptor();
const google::protobuf::Descriptor* kDeployment = Deployment::descriptor();

// Applies `patch` (JSON) to `object` through its JSON tree, as the
// apiserver does, and decodes the result strictly.
template <typename T>
T Patched(const T& object, const std::string& patch) {
  absl::StatusOr<YAML::Node> out =
      StrategicMergePatch(api::EncodeNode(object), Json(patch), T::descriptor());
  EXPECT_TRUE(out.ok()) << out.status();
  T result;
  if (!out.ok()) return result;
  absl::Status s = api::DecodeNode(*out, &result);
  EXPECT_TRUE(s.ok()) << s << "\n" << Canon(*out);
  return result;
}

std::string PatchError(const YAML::Node& original, const std::string& patch,
                       const google::protobuf::Descriptor* type) {
  absl::StatusOr<YAML::Node> out = StrategicMergePatch(original, Json(patch), type);
  EXPECT_FALSE(out.ok()) << Canon(*out);
  if (out.ok()) return "";
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(out.status().message());
}

Deployment PatchDemo() {
  // kubernetes.io "Update API Objects in Place Using kubectl patch".
  return api::DecodeAs<Deployment>(R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: patch-demo
spec:
  replicas: 2
  selector:
    matchLabels:
      app: nginx
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 30%
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: patch-demo-ctr
        image: nginx
      tolerations:
      - effect: NoSchedule
        key: dedicated
        value: test-team
)")
      .value();
}

Pod TwoContainerPod() {
  return api::DecodeAs<Pod>(R"(
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, tier: front}
  finalizers: [example.com/a, example.com/b, example.com/c]
spec:
  containers:
  - name: app
    image: app:1
    args: [--x, --y]
    ports:
    - containerPort: 80
    - containerPort: 443
      name: tls
    env:
    - name: A
      value: "1"
    - name: B
      value: "2"
    resources:
      limits: {cpu: 500m, memory: 128Mi}
  - name: sidecar
    image: sidecar:1
  - name: logger
    image: logger:1
  nodeSelector: {disk: ssd}
)")
      .value();
}

std::vector<std::string> ContainerNames(const Pod& pod) {
  std::vector<std::string> out;
  for (const auto& c : pod.spec().containers()) out.push_back(c.name());
  return out;
}

TEST(FieldOptions, CarryKubernetesPatchMetadata) {
  const auto* containers = minik8s::core::v1::PodSpec::descriptor()->FindFieldByName("containers");
  EXPECT_EQ(containers->options().GetExtension(minik8s::meta::v1::patch_merge_key), "name");
  EXPECT_EQ(containers->options().GetExtension(minik8s::meta::v1::patch_strategy), "merge");
  EXPECT_EQ(containers->options().GetExtension(minik8s::meta::v1::list_type), "map");
  const auto* ports = minik8s::core::v1::Container::descriptor()->FindFieldByName("ports");
  ASSERT_EQ(ports->options().ExtensionSize(minik8s::meta::v1::list_map_keys), 2);
  EXPECT_EQ(ports->options().GetExtension(minik8s::meta::v1::list_map_keys, 1), "protocol");
  const auto* volumes = minik8s::core::v1::PodSpec::descriptor()->FindFieldByName("volumes");
  EXPECT_EQ(volumes->options().GetExtension(minik8s::meta::v1::patch_strategy), "merge,retainKeys");
  const auto* strategy =
      minik8s::apps::v1::DeploymentSpec::descriptor()->FindFieldByName("strategy");
  EXPECT_EQ(strategy->options().GetExtension(minik8s::meta::v1::patch_strategy), "retainKeys");
  const auto* tolerations =
      minik8s::core::v1::PodSpec::descriptor()->FindFieldByName("tolerations");
  EXPECT_EQ(tolerations->options().GetExtension(minik8s::meta::v1::patch_strategy), "");
  EXPECT_EQ(tolerations->options().GetExtension(minik8s::meta::v1::list_type), "atomic");
  const auto* owners =
      minik8s::meta::v1::ObjectMeta::descriptor()->FindFieldByName("owner_references");
  EXPECT_EQ(owners->options().GetExtension(minik8s::meta::v1::patch_merge_key), "uid");
}

// The documented example: a new container is merged in by name (and,
// as kubectl shows it, listed first); tolerations have no patch strategy
// and are replaced.
TEST(StrategicMergePatch, DocumentedDeploymentExample) {
  Deployment d = Patched(PatchDemo(), R"({"spec":{"template":{"spec":{"containers":[
      {"name":"patch-demo-ctr-2","image":"redis"}]}}}})");
  const auto& containers = d.spec().template_().spec().containers();
  ASSERT_EQ(containers.size(), 2);
  EXPECT_EQ(containers[0].name(), "patch-demo-ctr-2");
  EXPECT_EQ(containers[0].image(), "redis");
  EXPECT_EQ(containers[1].name(), "patch-demo-ctr");
  EXPECT_EQ(containers[1].image(), "nginx");

  d = Patched(d, R"({"spec":{"template":{"spec":{"tolerations":[
      {"effect":"NoSchedule","key":"disktype","value":"ssd"}]}}}})");
  ASSERT_EQ(d.spec().template_().spec().tolerations_size(), 1);
  EXPECT_EQ(d.spec().template_().spec().tolerations(0).key(), "disktype");
  EXPECT_EQ(d.spec().template_().spec().containers_size(), 2);
  EXPECT_EQ(d.spec().replicas(), 2);
}

TEST(StrategicMergePatch, ContainersMergeByNameAndKeepOtherFields) {
  Pod p = Patched(TwoContainerPod(),
                  R"({"spec":{"containers":[{"name":"sidecar","image":"sidecar:2"}]}})");
  EXPECT_EQ(ContainerNames(p), (std::vector<std::string>{"app", "sidecar", "logger"}));
  EXPECT_EQ(p.spec().containers(1).image(), "sidecar:2");
  EXPECT_EQ(p.spec().containers(0).image(), "app:1");
  EXPECT_EQ(p.spec().containers(0).env_size(), 2);
}

TEST(StrategicMergePatch, PortsMergeByContainerPort) {
  Pod p = Patched(TwoContainerPod(), R"({"spec":{"containers":[{"name":"app","ports":[
      {"containerPort":80,"name":"http"},{"containerPort":8080}]}]}})");
  const auto& ports = p.spec().containers(0).ports();
  ASSERT_EQ(ports.size(), 3);
  // Patch elements in patch order; 443 (not in the patch) before the first
  // patch element that followed it in the old list (none), so last.
  EXPECT_EQ(ports[0].container_port(), 80);
  EXPECT_EQ(ports[0].name(), "http");
  EXPECT_EQ(ports[1].container_port(), 8080);
  EXPECT_EQ(ports[2].container_port(), 443);
  EXPECT_EQ(ports[2].name(), "tls");
}

TEST(StrategicMergePatch, EnvMergesByName) {
  Pod p = Patched(TwoContainerPod(), R"({"spec":{"containers":[{"name":"app","env":[
      {"name":"B","value":"two"},{"name":"C","value":"3"}]}]}})");
  const auto& env = p.spec().containers(0).env();
  ASSERT_EQ(env.size(), 3);
  EXPECT_EQ(env[0].name(), "A");
  EXPECT_EQ(env[0].value(), "1");
  EXPECT_EQ(env[1].name(), "B");
  EXPECT_EQ(env[1].value(), "two");
  EXPECT_EQ(env[2].name(), "C");
}

TEST(StrategicMergePatch, PatchDeleteRemovesListElement) {
  Pod p = Patched(TwoContainerPod(),
                  R"({"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}})");
  EXPECT_EQ(ContainerNames(p), (std::vector<std::string>{"app", "logger"}));
}

TEST(StrategicMergePatch, PatchReplaceOnList) {
  Pod p = Patched(TwoContainerPod(), R"({"spec":{"containers":[
      {"$patch":"replace"},{"name":"only","image":"only:1"}]}})");
  EXPECT_EQ(ContainerNames(p), (std::vector<std::string>{"only"}));
  EXPECT_EQ(p.spec().containers(0).image(), "only:1");
}

TEST(StrategicMergePatch, PatchReplaceOnMap) {
  Pod p = Patched(TwoContainerPod(), R"({"metadata":{"labels":{"$patch":"replace","new":"yes"}}})");
  ASSERT_EQ(p.metadata().labels_size(), 1);
  EXPECT_EQ(p.metadata().labels().at("new"), "yes");

  // On a message: the container's resources are replaced, not merged.
  p = Patched(TwoContainerPod(), R"({"spec":{"containers":[{"name":"app",
      "resources":{"$patch":"replace","requests":{"cpu":"1"}}}]}})");
  EXPECT_EQ(p.spec().containers(0).resources().limits_size(), 0);
  EXPECT_EQ(p.spec().containers(0).resources().requests().at("cpu").value(), "1");
}

TEST(StrategicMergePatch, PatchDeleteOnMapEmptiesIt) {
  Pod p = Patched(TwoContainerPod(), R"({"metadata":{"labels":{"$patch":"delete"}}})");
  EXPECT_EQ(p.metadata().labels_size(), 0);
  EXPECT_EQ(p.metadata().name(), "web");
}

TEST(StrategicMergePatch, PatchMergeOnMapMergesAsUsual) {
  Pod p = Patched(TwoContainerPod(), R"({"metadata":{"labels":{"$patch":"merge","x":"1"}}})");
  EXPECT_EQ(p.metadata().labels_size(), 3);
}

// The documented retainKeys example: switching the strategy from
// RollingUpdate to Recreate must drop rollingUpdate.
TEST(StrategicMergePatch, RetainKeysSwitchesDeploymentStrategy) {
  Deployment without = Patched(PatchDemo(), R"({"spec":{"strategy":{"type":"Recreate"}}})");
  EXPECT_EQ(without.spec().strategy().type(), "Recreate");
  EXPECT_TRUE(without.spec().strategy().has_rolling_update());  // merged, so still there

  Deployment d =
      Patched(PatchDemo(), R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})");
  EXPECT_EQ(d.spec().strategy().type(), "Recreate");
  EXPECT_FALSE(d.spec().strategy().has_rolling_update());
  EXPECT_EQ(d.spec().replicas(), 2);
}

TEST(StrategicMergePatch, RetainKeysOnVolumeElement) {
  Pod pod = api::DecodeAs<Pod>(R"(
apiVersion: v1
kind: Pod
metadata: {name: v}
spec:
  containers: [{name: c, image: i}]
  volumes:
  - name: data
    emptyDir: {medium: Memory}
  - name: other
    emptyDir: {}
)")
                .value();
  Pod p = Patched(pod, R"({"spec":{"volumes":[{"name":"data",
      "$retainKeys":["configMap","name"],"configMap":{"name":"cm"}}]}})");
  ASSERT_EQ(p.spec().volumes_size(), 2);
  EXPECT_EQ(p.spec().volumes(0).name(), "data");
  EXPECT_FALSE(p.spec().volumes(0).has_empty_dir());
  EXPECT_EQ(p.spec().volumes(0).config_map().name(), "cm");
  EXPECT_TRUE(p.spec().volumes(1).has_empty_dir());
}

TEST(StrategicMergePatch, SetElementOrderReordersContainers) {
  Pod p = Patched(TwoContainerPod(), R"({"spec":{
      "$setElementOrder/containers":[{"name":"logger"},{"name":"app"},{"name":"sidecar"}],
      "containers":[{"name":"app","image":"app:2"}]}})");
  EXPECT_EQ(ContainerNames(p), (std::vector<std::string>{"logger", "app", "sidecar"}));
  EXPECT_EQ(p.spec().containers(1).image(), "app:2");

  // Without a list in the patch the directive only orders.
  p = Patched(TwoContainerPod(), R"({"spec":{
      "$setElementOrder/containers":[{"name":"sidecar"},{"name":"logger"},{"name":"app"}]}})");
  EXPECT_EQ(ContainerNames(p), (std::vector<std::string>{"sidecar", "logger", "app"}));
}

TEST(StrategicMergePatch, DeleteFromPrimitiveListFinalizers) {
  Pod p = Patched(TwoContainerPod(),
                  R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["example.com/b"]}})");
  ASSERT_EQ(p.metadata().finalizers_size(), 2);
  EXPECT_EQ(p.metadata().finalizers(0), "example.com/a");
  EXPECT_EQ(p.metadata().finalizers(1), "example.com/c");

  // Deleting from a list the object does not have is a no-op.
  Pod bare = api::DecodeAs<Pod>("{apiVersion: v1, kind: Pod, metadata: {name: b}}").value();
  Pod q = Patched(bare, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["x"]}})");
  EXPECT_EQ(q.metadata().finalizers_size(), 0);
}

TEST(StrategicMergePatch, PrimitiveMergeListIsUnioned) {
  Pod p = Patched(TwoContainerPod(),
                  R"({"metadata":{"finalizers":["example.com/c","example.com/d"]}})");
  std::vector<std::string> got(p.metadata().finalizers().begin(), p.metadata().finalizers().end());
  EXPECT_EQ(got, (std::vector<std::string>{"example.com/a", "example.com/b", "example.com/c",
                                           "example.com/d"}));
}

TEST(StrategicMergePatch, ListsWithoutMergeStrategyAreReplaced) {
  Pod p = Patched(TwoContainerPod(), R"({"spec":{"containers":[{"name":"app","args":["--z"]}]}})");
  ASSERT_EQ(p.spec().containers(0).args_size(), 1);
  EXPECT_EQ(p.spec().containers(0).args(0), "--z");
}

TEST(StrategicMergePatch, NullDeletesKey) {
  Pod p = Patched(TwoContainerPod(),
                  R"({"metadata":{"labels":{"tier":null}},"spec":{"nodeSelector":null}})");
  EXPECT_EQ(p.metadata().labels_size(), 1);
  EXPECT_EQ(p.metadata().labels().count("tier"), 0u);
  EXPECT_EQ(p.spec().node_selector_size(), 0);
  // A null for a key the object lacks is dropped, not stored.
  p = Patched(TwoContainerPod(), R"({"spec":{"hostname":null,"subdomain":"s"}})");
  EXPECT_EQ(p.spec().subdomain(), "s");
}

TEST(StrategicMergePatch, MapsOfQuantitiesMergeAndQuantitiesReplace) {
  Pod p = Patched(TwoContainerPod(),
                  R"({"spec":{"containers":[{"name":"app","resources":{"limits":{"cpu":"1"}}}]}})");
  const auto& limits = p.spec().containers(0).resources().limits();
  EXPECT_EQ(limits.at("cpu").value(), "1");
  EXPECT_EQ(limits.at("memory").value(), "128Mi");
}

TEST(StrategicMergePatch, OwnerReferencesMergeByUidAndConditionsByType) {
  Pod pod = api::DecodeAs<Pod>(R"(
apiVersion: v1
kind: Pod
metadata:
  name: o
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: rs1, uid: u1}
status:
  conditions:
  - {type: Ready, status: "False"}
  - {type: PodScheduled, status: "True"}
)")
                .value();
  Pod p = Patched(pod, R"({"metadata":{"ownerReferences":[
      {"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs2","uid":"u2"}]},
      "status":{"conditions":[{"type":"Ready","status":"True"}]}})");
  ASSERT_EQ(p.metadata().owner_references_size(), 2);
  ASSERT_EQ(p.status().conditions_size(), 2);
  EXPECT_EQ(p.status().conditions(0).type(), "Ready");
  EXPECT_EQ(p.status().conditions(0).status(), "True");
  EXPECT_EQ(p.status().conditions(1).type(), "PodScheduled");
}

TEST(StrategicMergePatch, NewValuesHaveDirectivesAppliedAndNullsDropped) {
  Pod bare = api::DecodeAs<Pod>("{apiVersion: v1, kind: Pod, metadata: {name: b}}").value();
  Pod p = Patched(bare, R"({"spec":{"hostname":null,"containers":[
      {"name":"gone","$patch":"delete"},{"name":"c","image":"i","workingDir":null}]}})");
  EXPECT_EQ(ContainerNames(p), (std::vector<std::string>{"c"}));
}

TEST(StrategicMergePatch, ResultSharesNothingWithInputsAndKeepsStringTags) {
  YAML::Node original = api::EncodeNode(TwoContainerPod());
  const std::string original_before = Canon(original);
  YAML::Node patch = Json(R"({"metadata":{"labels":{"n":"3"},"annotations":{"a":"b"}}})");
  const std::string patch_before = Canon(patch);
  absl::StatusOr<YAML::Node> out = StrategicMergePatch(original, patch, kPod);
  ASSERT_TRUE(out.ok()) << out.status();
  // A quoted number stays a string.
  EXPECT_EQ((*out)["metadata"]["labels"]["n"].Tag(), "!");
  EXPECT_EQ((*out)["spec"]["containers"][0]["image"].Tag(), "!");
  EXPECT_EQ((*out)["spec"]["containers"][0]["ports"][0]["containerPort"].Tag(), "?");

  (*out)["metadata"]["labels"]["app"] = "changed";
  (*out)["metadata"]["annotations"]["a"] = "changed";
  (*out)["spec"]["containers"][0]["image"] = "changed";
  EXPECT_EQ(Canon(original), original_before);
  EXPECT_EQ(Canon(patch), patch_before);
}

TEST(StrategicMergePatch, WithoutTypeMapsMergeAndListsReplace) {
  absl::StatusOr<YAML::Node> out =
      StrategicMergePatch(Json(R"({"a":{"b":1,"c":[1,2]},"d":"x"})"),
                          Json(R"({"a":{"c":[3],"e":null},"f":true})"), nullptr);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Canon(*out), CanonJson(R"({"a":{"b":1,"c":[3]},"d":"x","f":true})"));
}

TEST(StrategicMergePatch, TopLevelDirectives) {
  absl::StatusOr<YAML::Node> out =
      StrategicMergePatch(Json(R"({"a":1,"b":2})"), Json(R"({"$patch":"replace","c":3})"), nullptr);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Canon(*out), CanonJson(R"({"c":3})"));
  out = StrategicMergePatch(Json(R"({"a":1})"), Json(R"({"$patch":"delete"})"), nullptr);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Canon(*out), "{}");
}

TEST(StrategicMergePatchErrors, UnknownPatchDirective) {
  YAML::Node pod = api::EncodeNode(TwoContainerPod());
  EXPECT_EQ(PatchError(pod, R"({"metadata":{"$patch":"frobnicate"}})", kPod),
            R"(unknown patch type: frobnicate in map: {"$patch":"frobnicate"})");
  EXPECT_EQ(PatchError(pod, R"({"spec":{"containers":[{"name":"app","$patch":"zap"}]}})", kPod),
            R"(unknown patch type: zap in map: {"name":"app","$patch":"zap"})");
  EXPECT_EQ(PatchError(pod, R"({"spec":{"containers":[{"$patch":"merge"}]}})", kPod),
            "merging lists cannot yet be specified in the patch");
}

TEST(StrategicMergePatchErrors, MissingMergeKey) {
  YAML::Node pod = api::EncodeNode(TwoContainerPod());
  EXPECT_EQ(PatchError(pod, R"({"spec":{"containers":[{"image":"x"}]}})", kPod),
            R"(map: {"image":"x"} does not contain declared merge key: name)");
  EXPECT_EQ(PatchError(pod, R"({"spec":{"containers":[{"$patch":"delete"}]}})", kPod),
            R"(map: {"$patch":"delete"} does not contain declared merge key: name)");
}

TEST(StrategicMergePatchErrors, MalformedDirectives) {
  YAML::Node d = api::EncodeNode(PatchDemo());
  EXPECT_EQ(PatchError(d, R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}})",
                       kDeployment),
            "invalid patch format of retainKeys: the patch sets \"rollingUpdate\", which "
            "$retainKeys does not list");
  EXPECT_EQ(PatchError(d, R"({"spec":{"strategy":{"$retainKeys":"type"}}})", kDeployment),
            "invalid patch format of retainKeys: $retainKeys must be a list");
  EXPECT_EQ(
      PatchError(d, R"({"metadata":{"$deleteFromPrimitiveListfinalizers":["x"]}})", kDeployment),
      "invalid patch format of primitive list: \"$deleteFromPrimitiveListfinalizers\"");
  YAML::Node pod = api::EncodeNode(TwoContainerPod());
  EXPECT_EQ(PatchError(pod, R"({"spec":{"$setElementOrder/containers":[{"name":"app"}],
      "containers":[{"name":"logger"},{"name":"app"}]}})",
                       kPod)
                .substr(0, 23),
            "the order in patch list");
  EXPECT_NE(
      PatchError(pod, R"({"spec":{"$deleteFromPrimitiveList/containers":[{"name":"x"}]}})", kPod)
          .find("not a list of primitives with patch strategy merge"),
      std::string::npos);
}

TEST(StrategicMergePatchErrors, BadShapes) {
  YAML::Node pod = api::EncodeNode(TwoContainerPod());
  EXPECT_EQ(PatchError(pod, "[1,2]", kPod), "the strategic merge patch must be a JSON object");
  EXPECT_EQ(PatchError(pod, R"({"metadata":{"finalizers":[["x"]]}})", kPod),
            "lists of lists are not supported");
  EXPECT_NE(PatchError(pod, R"({"metadata":{"finalizers":[1]}})", kPod)
                .find("list element types are not identical"),
            std::string::npos);
  EXPECT_EQ(PatchError(Json(R"({"a":{"b":1}})"), R"({"a":{"c":2}})", kPod),
            "unable to find api field in struct Pod for the json field \"a\"");
}

TEST(StrategicMergePatchErrors, DepthIsBounded) {
  // The deepest value sits at level 258.
  YAML::Node deep;
  deep["metadata"]["annotations"] = NestedObjects(kMaxDepth);
  absl::StatusOr<YAML::Node> out = StrategicMergePatch(Json("{}"), deep, nullptr);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "the patch is nested more than 256 levels deep");
  out = StrategicMergePatch(deep, Json("{}"), nullptr);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "the object to patch is nested more than 256 levels deep");

  // Level 255 works (and does not exhaust the stack).
  out = StrategicMergePatch(NestedObjects(kMaxDepth - 1), NestedObjects(kMaxDepth - 1), nullptr);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Canon(*out), Canon(NestedObjects(kMaxDepth - 1)));
}

}  // namespace
}  // namespace minik8s::patch
