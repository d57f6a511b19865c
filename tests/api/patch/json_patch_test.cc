#include "api/patch/json_patch.h"

#include <string>

#include "api/codec.h"
#include "api/patch/json_value.h"
#include "gtest/gtest.h"
#include "k8s/core/v1/core.pb.h"
#include "tests/api/patch/patch_test_util.h"

namespace minik8s::patch {
namespace {

using minik8s::core::v1::Pod;

// Applies the patch and returns the canonical result, or "error: <message>".
std::string Apply(const std::string& document, const std::string& operations) {
  absl::StatusOr<YAML::Node> out = ApplyJsonPatch(Json(document), Json(operations));
  if (!out.ok()) {
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
    return "error: " + std::string(out.status().message());
  }
  return Canon(*out);
}

// RFC 6902 appendix A, example by example.
TEST(JsonPatchRfc6902, A1AddingAnObjectMember) {
  EXPECT_EQ(Apply(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])"),
            CanonJson(R"({"baz":"qux","foo":"bar"})"));
}

TEST(JsonPatchRfc6902, A2AddingAnArrayElement) {
  EXPECT_EQ(Apply(R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])"),
            CanonJson(R"({"foo":["bar","qux","baz"]})"));
}

TEST(JsonPatchRfc6902, A3RemovingAnObjectMember) {
  EXPECT_EQ(Apply(R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])"),
            CanonJson(R"({"foo":"bar"})"));
}

TEST(JsonPatchRfc6902, A4RemovingAnArrayElement) {
  EXPECT_EQ(Apply(R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])"),
            CanonJson(R"({"foo":["bar","baz"]})"));
}

TEST(JsonPatchRfc6902, A5ReplacingAValue) {
  EXPECT_EQ(
      Apply(R"({"baz":"qux","foo":"bar"})", R"([{"op":"replace","path":"/baz","value":"boo"}])"),
      CanonJson(R"({"baz":"boo","foo":"bar"})"));
}

TEST(JsonPatchRfc6902, A6MovingAValue) {
  EXPECT_EQ(Apply(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                  R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])"),
            CanonJson(R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"));
}

TEST(JsonPatchRfc6902, A7MovingAnArrayElement) {
  EXPECT_EQ(Apply(R"({"foo":["all","grass","cows","eat"]})",
                  R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])"),
            CanonJson(R"({"foo":["all","cows","eat","grass"]})"));
}

TEST(JsonPatchRfc6902, A8TestingAValueSuccess) {
  EXPECT_EQ(Apply(R"({"baz":"qux","foo":["a",2,"c"]})",
                  R"([{"op":"test","path":"/baz","value":"qux"},
                      {"op":"test","path":"/foo/1","value":2}])"),
            CanonJson(R"({"baz":"qux","foo":["a",2,"c"]})"));
}

TEST(JsonPatchRfc6902, A9TestingAValueError) {
  EXPECT_EQ(Apply(R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])"),
            "error: testing value /baz failed: test failed");
}

TEST(JsonPatchRfc6902, A10AddingANestedMemberObject) {
  EXPECT_EQ(
      Apply(R"({"foo":"bar"})", R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])"),
      CanonJson(R"({"foo":"bar","child":{"grandchild":{}}})"));
}

TEST(JsonPatchRfc6902, A11IgnoringUnrecognizedElements) {
  EXPECT_EQ(Apply(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])"),
            CanonJson(R"({"foo":"bar","baz":"qux"})"));
}

TEST(JsonPatchRfc6902, A12AddingToANonexistentTarget) {
  EXPECT_EQ(Apply(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":"qux"}])"),
            "error: add operation does not apply: doc is missing path: \"/baz/bat\": "
            "missing value");
}

TEST(JsonPatchRfc6902, A13InvalidPatchDocumentFails) {
  // Two "op" members: whichever is read, this patch cannot apply.
  EXPECT_EQ(Apply(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux","op":"remove"}])")
                .substr(0, 7),
            "error: ");
}

TEST(JsonPatchRfc6902, A14TildeEscapeOrdering) {
  EXPECT_EQ(Apply(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])"),
            CanonJson(R"({"/":9,"~1":10})"));
}

TEST(JsonPatchRfc6902, A15ComparingStringsAndNumbers) {
  EXPECT_EQ(Apply(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":"10"}])"),
            "error: testing value /~01 failed: test failed");
}

TEST(JsonPatchRfc6902, A16AddingAnArrayValue) {
  EXPECT_EQ(Apply(R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])"),
            CanonJson(R"({"foo":["bar",["abc","def"]]})"));
}

TEST(JsonPatch, PointerEscapesAndRoot) {
  EXPECT_EQ(Apply(R"({"a/b":1,"m~n":2})", R"([{"op":"replace","path":"/a~1b","value":3},
                                               {"op":"remove","path":"/m~0n"}])"),
            CanonJson(R"({"a/b":3})"));
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"op":"replace","path":"","value":{"b":2}}])"),
            CanonJson(R"({"b":2})"));
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"op":"test","path":"","value":{"a":1}}])"),
            CanonJson(R"({"a":1})"));
}

TEST(JsonPatch, CopyAndTestSemantics) {
  EXPECT_EQ(Apply(R"({"a":{"b":[1,2]}})", R"([{"op":"copy","from":"/a","path":"/c"},
      {"op":"add","path":"/c/b/-","value":3}])"),
            CanonJson(R"({"a":{"b":[1,2]},"c":{"b":[1,2,3]}})"));
  // Numbers compare by value, objects regardless of member order.
  EXPECT_EQ(Apply(R"({"n":1,"o":{"x":1,"y":[true,null]}})",
                  R"([{"op":"test","path":"/n","value":1.0},
                      {"op":"test","path":"/o","value":{"y":[true,null],"x":1}}])"),
            CanonJson(R"({"n":1,"o":{"x":1,"y":[true,null]}})"));
  EXPECT_EQ(Apply(R"({"o":{"x":1}})", R"([{"op":"test","path":"/o","value":{"x":1,"y":2}}])"),
            "error: testing value /o failed: test failed");
}

TEST(JsonPatch, OperationsApplyInOrderAndAllOrNothing) {
  YAML::Node doc = Json(R"({"a":[1,2,3]})");
  const std::string before = Canon(doc);
  absl::StatusOr<YAML::Node> out = ApplyJsonPatch(doc, Json(R"([
      {"op":"remove","path":"/a/0"},
      {"op":"test","path":"/a","value":[2,3]},
      {"op":"remove","path":"/a/5"}])"));
  EXPECT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "error in remove for path: '/a/5': Unable to access invalid index: 5: "
            "invalid index referenced");
  EXPECT_EQ(Canon(doc), before);
}

TEST(JsonPatch, ErrorsReadLikeKubernetes) {
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"op":"remove","path":"/b"}])"),
            "error: error in remove for path: '/b': Unable to remove nonexistent key: b: "
            "missing value");
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"op":"replace","path":"/b","value":2}])"),
            "error: replace operation does not apply: doc is missing key: /b: missing value");
  EXPECT_EQ(Apply(R"({"a":[]})", R"([{"op":"add","path":"/a/1","value":2}])"),
            "error: error in add for path: '/a/1': Unable to access invalid index: 1: "
            "invalid index referenced");
  EXPECT_EQ(Apply(R"({"a":[1]})", R"([{"op":"add","path":"/a/01","value":2}])"),
            "error: error in add for path: '/a/01': value was not a proper array index: '01'");
  EXPECT_EQ(Apply(R"({"a":[1]})", R"([{"op":"remove","path":"/a/-"}])"),
            "error: error in remove for path: '/a/-': Unable to access invalid index: -: "
            "invalid index referenced");
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"op":"move","from":"/x","path":"/y"}])"),
            "error: move operation does not apply: doc is missing from path: /x: missing value");
  EXPECT_EQ(Apply(R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])"),
            "error: move operation does not apply: \"from\" /a is a prefix of \"path\" /a/b/c");
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"op":"copy","from":"/x","path":"/y"}])"),
            "error: copy operation does not apply: doc is missing from path: /x: missing value");
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"op":"test","path":"/x","value":1}])"),
            "error: test operation does not apply: is missing path: /x: missing value");
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"op":"frobnicate","path":"/a"}])"),
            "error: Unexpected kind: frobnicate");
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"path":"/a"}])"),
            "error: operation 0 of the JSON patch has no \"op\"");
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"op":"add","value":1}])"),
            "error: add operation failed to decode path");
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"op":"add","path":"/b"}])"),
            "error: add operation has no \"value\"");
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"op":"copy","path":"/b"}])"),
            "error: copy operation failed to decode from");
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"op":"add","path":"b","value":1}])"),
            "error: invalid JSON pointer \"b\": it must be empty or start with \"/\"");
  EXPECT_EQ(Apply(R"({"a":1})", R"([{"op":"add","path":"/~2","value":1}])"),
            "error: invalid JSON pointer \"/~2\": \"~\" must be followed by \"0\" or \"1\"");
  EXPECT_EQ(Apply(R"({"a":1})", R"({"op":"add","path":"/b","value":1})"),
            "error: a JSON patch must be a JSON array of operations");
  EXPECT_EQ(Apply(R"({"a":1})", R"([1])"),
            "error: operation 0 of the JSON patch is not a JSON object");
}

TEST(JsonPatch, OperationCountIsBounded) {
  std::string ops = "[";
  for (size_t i = 0; i <= kMaxJsonPatchOperations; ++i) {
    ops += std::string(i ? "," : "") + R"({"op":"test","path":"/a","value":1})";
  }
  ops += "]";
  EXPECT_EQ(Apply(R"({"a":1})", ops),
            "error: the JSON patch has 10001 operations; at most 10000 are allowed");
}

// Applies `operations` to a tree built in code.
std::string ApplyTo(const YAML::Node& document, const std::string& operations) {
  absl::StatusOr<YAML::Node> out = ApplyJsonPatch(document, Json(operations));
  if (!out.ok()) return "error: " + std::string(out.status().message());
  return Canon(*out);
}

TEST(JsonPatch, DepthAndCopiesAreBounded) {
  EXPECT_EQ(ApplyTo(NestedObjects(kMaxDepth + 1), "[]"),
            "error: the document is nested more than 256 levels deep");
  // The document's deepest value sits at level 256; moving it one level
  // down would pass the limit, moving it sideways does not.
  YAML::Node doc;
  doc["x"] = NestedObjects(kMaxDepth - 1);
  EXPECT_EQ(ApplyTo(doc, R"([{"op":"add","path":"/y","value":{}},
                             {"op":"move","from":"/x","path":"/y/z"}])"),
            "error: the patched document would be nested more than 256 levels deep");
  EXPECT_EQ(ApplyTo(doc, R"([{"op":"move","from":"/x","path":"/z"}])").substr(0, 7), "{\"z\":{\"");
  // Each copy doubles the document; the total copied is capped.
  std::string ops = R"([{"op":"add","path":"/a","value":[1,2,3,4,5,6,7,8]})";
  for (int i = 0; i < 40; ++i) ops += R"(,{"op":"copy","from":"/a","path":"/a/-"})";
  ops += "]";
  EXPECT_EQ(Apply("{}", ops),
            "error: the copy operations of the JSON patch copy more than 1000000 values");
}

TEST(JsonPatch, TypedObjectRoundTripKeepsStringsAndSharesNothing) {
  Pod pod = api::DecodeAs<Pod>(R"(
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - {name: app, image: "app:1", ports: [{containerPort: 80}]}
)")
                .value();
  YAML::Node doc = api::EncodeNode(pod);
  const std::string before = Canon(doc);
  YAML::Node ops = Json(R"([
      {"op":"replace","path":"/spec/containers/0/image","value":"app:2"},
      {"op":"add","path":"/metadata/labels/version","value":"2"},
      {"op":"add","path":"/spec/containers/0/ports/-","value":{"containerPort":443}}])");
  absl::StatusOr<YAML::Node> out = ApplyJsonPatch(doc, ops);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["metadata"]["labels"]["version"].Tag(), "!");
  Pod patched;
  absl::Status s = api::DecodeNode(*out, &patched);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(patched.spec().containers(0).image(), "app:2");
  EXPECT_EQ(patched.metadata().labels().at("version"), "2");
  EXPECT_EQ(patched.spec().containers(0).ports(1).container_port(), 443);

  (*out)["metadata"]["name"] = "changed";
  EXPECT_EQ(Canon(doc), before);
}

}  // namespace
}  // namespace minik8s::patch
