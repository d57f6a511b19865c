// The three-way merge patch, last-applied bookkeeping and manifest reading.
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "gtest/gtest.h"
#include "k8s/apps/v1/apps.pb.h"
#include "kubectl/apply/json_node.h"
#include "kubectl/apply/last_applied.h"
#include "kubectl/apply/manifests.h"
#include "kubectl/apply/three_way_merge.h"
#include "testing/temp_dir.h"
#include "tests/kubectl/test_objects.h"

namespace minik8s::kubectl {
namespace {

using testing::FromYaml;

std::string Patch(const std::string& original, const std::string& modified,
                  const std::string& current) {
  return NodeToJson(
      ThreeWayMergePatch(YAML::Load(original), YAML::Load(modified), YAML::Load(current)));
}

TEST(ThreeWayMerge, AddedChangedRemoved) {
  EXPECT_EQ(Patch(R"({"spec":{"replicas":3,"paused":true}})",
                  R"({"spec":{"replicas":5,"minReadySeconds":10}})",
                  R"({"spec":{"replicas":3,"paused":true,"strategy":{"type":"RollingUpdate"}}})"),
            R"({"spec":{"replicas":5,"minReadySeconds":10,"paused":null}})");
}

TEST(ThreeWayMerge, UnchangedGivesEmptyPatch) {
  const std::string doc = R"({"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"replicas":3}})";
  EXPECT_EQ(
      Patch(
          doc, doc,
          R"({"metadata":{"name":"x","uid":"u","labels":{"a":"b"}},"spec":{"replicas":3,"paused":false}})"),
      "{}");
}

TEST(ThreeWayMerge, FieldsChangedByOthersAreRestored) {
  // Someone scaled to 7; the manifest still says 3: apply puts 3 back.
  EXPECT_EQ(Patch(R"({"spec":{"replicas":3}})", R"({"spec":{"replicas":3}})",
                  R"({"spec":{"replicas":7}})"),
            R"({"spec":{"replicas":3}})");
}

TEST(ThreeWayMerge, RemovedFieldAlreadyGoneIsNotPatched) {
  EXPECT_EQ(Patch(R"({"metadata":{"labels":{"a":"1","b":"2"}}})",
                  R"({"metadata":{"labels":{"a":"1"}}})", R"({"metadata":{"labels":{"a":"1"}}})"),
            "{}");
  EXPECT_EQ(
      Patch(R"({"metadata":{"labels":{"a":"1","b":"2"}}})", R"({"metadata":{"labels":{"a":"1"}}})",
            R"({"metadata":{"labels":{"a":"1","b":"2"}}})"),
      R"({"metadata":{"labels":{"b":null}}})");
}

TEST(ThreeWayMerge, ListsWithOnlyDefaultedFieldsAreUnchanged) {
  const std::string manifest =
      R"({"spec":{"containers":[{"name":"c","ports":[{"containerPort":80}]}]}})";
  const std::string live =
      R"({"spec":{"containers":[{"name":"c","imagePullPolicy":"Always","ports":[{"containerPort":80,"protocol":"TCP"}]}]}})";
  EXPECT_EQ(Patch(manifest, manifest, live), "{}");
  // First apply over an existing object (no last-applied): same.
  EXPECT_EQ(Patch("null", manifest, live), "{}");
  // The user removed the port: the whole list is sent.
  const std::string without_port = R"({"spec":{"containers":[{"name":"c"}]}})";
  EXPECT_EQ(Patch(manifest, without_port, live), R"({"spec":{"containers":[{"name":"c"}]}})");
  // Someone else changed the list's values: restored.
  const std::string changed_live =
      R"({"spec":{"containers":[{"name":"c","ports":[{"containerPort":81,"protocol":"TCP"}]}]}})";
  EXPECT_EQ(Patch(manifest, manifest, changed_live),
            R"({"spec":{"containers":[{"name":"c","ports":[{"containerPort":80}]}]}})");
}

TEST(ThreeWayMerge, ScalarTypesMatter) {
  EXPECT_EQ(Patch("{}", R"({"a":"1"})", R"({"a":1})"), R"({"a":"1"})");
  EXPECT_EQ(Patch("{}", R"({"a":true})", R"({"a":true})"), "{}");
}

TEST(JsonNode, EscapesAndTypes) {
  YAML::Node n = YAML::Load(R"({"s":"a\"b\\c\nd","n":-1.5e3,"t":true,"z":null,"l":[1,"x"]})");
  EXPECT_EQ(NodeToJson(n), R"({"s":"a\"b\\c\nd","n":-1.5e3,"t":true,"z":null,"l":[1,"x"]})");
  EXPECT_EQ(NodeToJson(StringNode("true")), R"("true")");
}

constexpr char kManifest[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
)";

TEST(LastApplied, AnnotationAndPatch) {
  auto manifest = FromYaml<apps::v1::Deployment>(kManifest);
  SetLastApplied(&manifest);
  const std::string annotation = manifest.metadata().annotations().at(kLastAppliedAnnotation);
  EXPECT_EQ(annotation.back(), '\n');
  EXPECT_EQ(annotation.find("last-applied"), std::string::npos);  // not nested
  EXPECT_NE(annotation.find("\"replicas\":2"), std::string::npos) << annotation;

  // The live object as the server returns it: the manifest plus server
  // fields and defaults.
  apps::v1::Deployment live = manifest;
  live.mutable_metadata()->set_uid("u1");
  live.mutable_metadata()->set_namespace_("default");
  live.mutable_metadata()->set_resource_version("42");
  live.mutable_spec()->mutable_strategy()->set_type("RollingUpdate");
  live.mutable_spec()->set_revision_history_limit(10);
  live.mutable_status()->set_replicas(2);
  live.clear_api_version();
  live.clear_kind();
  absl::StatusOr<std::string> patch = ComputeApplyPatch(manifest, live);
  ASSERT_TRUE(patch.ok()) << patch.status();
  EXPECT_EQ(*patch, "");  // unchanged

  // Modified manifest: replicas changed, the label removed.
  auto next = FromYaml<apps::v1::Deployment>(kManifest);
  next.mutable_spec()->set_replicas(4);
  next.mutable_metadata()->mutable_labels()->clear();
  SetLastApplied(&next);
  patch = ComputeApplyPatch(next, live);
  ASSERT_TRUE(patch.ok()) << patch.status();
  YAML::Node p = YAML::Load(*patch);
  EXPECT_EQ(p["spec"]["replicas"].as<int>(), 4);
  EXPECT_TRUE(p["metadata"]["labels"].IsNull()) << *patch;
  EXPECT_TRUE(p["metadata"]["annotations"][kLastAppliedAnnotation].IsDefined()) << *patch;
  EXPECT_FALSE(p["spec"]["strategy"].IsDefined()) << *patch;
  EXPECT_FALSE(p["kind"].IsDefined()) << *patch;
}

TEST(Manifests, DocumentNumbersInErrors) {
  const std::string text =
      absl::StrCat("# comment\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n",
                   kManifest, "  bogus: 1\n");
  absl::StatusOr<std::vector<Manifest>> m = DecodeManifests("web.yaml", text);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::StartsWith(m.status().message(), "error parsing web.yaml: document 2: line "))
      << m.status();
  EXPECT_NE(m.status().message().find("bogus"), std::string::npos) << m.status();
  EXPECT_EQ(DocumentOfLine(text, 4), 1);
  EXPECT_EQ(DocumentOfLine(text, 9), 2);
}

TEST(Manifests, FilesFoldersAndStdin) {
  minik8s::testing::TempDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.path() + "/" + name) << text;
  };
  write("b.yaml", kManifest);
  write("a.yml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n");
  write("notes.txt", "not a manifest");
  absl::StatusOr<std::vector<Manifest>> m = ReadManifests({dir.path()}, false, nullptr);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].decoded.kind->kind, "Namespace");  // name order: a.yml first
  EXPECT_EQ((*m)[1].decoded.kind->kind, "Deployment");
  EXPECT_EQ((*m)[1].source, dir.path() + "/b.yaml");

  m = ReadManifests({"-"}, false, [] { return std::string(kManifest); });
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)[0].source, "STDIN");

  m = ReadManifests({dir.path() + "/missing.yaml"}, false, nullptr);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "the path \"" + dir.path() + "/missing.yaml\" does not exist");
}

}  // namespace
}  // namespace minik8s::kubectl
