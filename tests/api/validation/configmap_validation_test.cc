// core/v1 ConfigMap: binaryData as base64 in JSON, and validation with
// Kubernetes' messages (api/validation/validation_configmap.h).
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/validation/validation.h"
#include "api/validation/validation_configmap.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace minik8s::validation {
namespace {

using minik8s::core::v1::ConfigMap;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Strings(const FieldErrors& errs) {
  std::vector<std::string> out;
  for (const FieldError& e : errs) out.push_back(e.ToString());
  return out;
}

ConfigMap Named(const std::string& name) {
  ConfigMap cm;
  cm.mutable_metadata()->set_name(name);
  cm.mutable_metadata()->set_namespace_("default");
  return cm;
}

TEST(ConfigMapCodec, DataIsTextAndBinaryDataIsBase64) {
  absl::StatusOr<ConfigMap> cm = api::DecodeAs<ConfigMap>(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: app, namespace: default}
immutable: true
data:
  ca.crt: "-----BEGIN CERTIFICATE-----\n"
binaryData:
  blob: AP8=
)");
  ASSERT_TRUE(cm.ok()) << cm.status();
  EXPECT_EQ(cm->data().at("ca.crt"), "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(cm->binary_data().at("blob"), std::string("\x00\xff", 2));
  EXPECT_TRUE(cm->immutable());
  const std::string json = api::EncodeJson(*cm);
  EXPECT_THAT(json, HasSubstr(R"("binaryData":{"blob":"AP8="})"));
  EXPECT_THAT(json, HasSubstr(R"("ca.crt":"-----BEGIN CERTIFICATE-----\n")"));
  EXPECT_THAT(ValidateConfigMap(*cm), IsEmpty());
}

TEST(ConfigMapCodec, MalformedBinaryDataIsRefused) {
  absl::StatusOr<ConfigMap> cm = api::DecodeAs<ConfigMap>(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nbinaryData: {k: \"c===\"}\n");
  ASSERT_FALSE(cm.ok());
  EXPECT_THAT(cm.status().message(), HasSubstr("binaryData.k: illegal base64 data at input byte"));
}

TEST(ConfigMapValidation, KeysAreConfigKeys) {
  ConfigMap cm = Named("app");
  (*cm.mutable_data())["a/b"] = "v";
  (*cm.mutable_binary_data())[".."] = "v";
  EXPECT_THAT(Strings(ValidateConfigMap(cm)),
              ElementsAre("data[a/b]: Invalid value: \"a/b\": a valid config key must consist of "
                          "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
                          "'KEY_NAME',  or 'key-name', regex used for validation is "
                          "'[-._a-zA-Z0-9]+')",
                          "binaryData[..]: Invalid value: \"..\": must not be '..'"));
}

TEST(ConfigMapValidation, AKeyLivesInOneOfDataAndBinaryData) {
  ConfigMap cm = Named("app");
  (*cm.mutable_data())["k"] = "text";
  (*cm.mutable_binary_data())["k"] = "bytes";
  EXPECT_THAT(Strings(ValidateConfigMap(cm)),
              ElementsAre("data[k]: Invalid value: \"k\": duplicate of key present in binaryData"));
}

TEST(ConfigMapValidation, AtMostOneMebibyteInAll) {
  ConfigMap cm = Named("big");
  (*cm.mutable_data())["a"] = std::string(512 * 1024, 'x');
  (*cm.mutable_binary_data())["b"] = std::string(512 * 1024, 'y');
  EXPECT_THAT(ValidateConfigMap(cm), IsEmpty());
  (*cm.mutable_binary_data())["b"].push_back('y');
  EXPECT_THAT(Strings(ValidateConfigMap(cm)),
              ElementsAre("<nil>: Too long: must have at most 1048576 bytes"));
}

TEST(ConfigMapValidation, NameAndNamespaceAreChecked) {
  ConfigMap cm = Named("Bad_Name");
  cm.mutable_metadata()->clear_namespace_();
  std::vector<std::string> errs = Strings(ValidateConfigMap(cm));
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_THAT(errs[0], HasSubstr("metadata.name: Invalid value: \"Bad_Name\""));
  EXPECT_THAT(errs[1], HasSubstr("metadata.namespace: Required value"));
}

TEST(ConfigMapValidation, ImmutableFreezesDataBinaryDataAndItself) {
  ConfigMap old = Named("frozen");
  old.set_immutable(true);
  (*old.mutable_data())["a"] = "1";
  (*old.mutable_binary_data())["b"] = "2";
  old.mutable_metadata()->set_resource_version("5");

  ConfigMap same = old;
  (*same.mutable_metadata()->mutable_labels())["tier"] = "web";  // metadata may change
  EXPECT_THAT(ValidateConfigMapUpdate(same, old), IsEmpty());

  ConfigMap changed = old;
  (*changed.mutable_data())["a"] = "2";
  (*changed.mutable_binary_data())["c"] = "3";
  changed.clear_immutable();
  EXPECT_THAT(Strings(ValidateConfigMapUpdate(changed, old)),
              ElementsAre("immutable: Forbidden: field is immutable when `immutable` is set",
                          "data: Forbidden: field is immutable when `immutable` is set",
                          "binaryData: Forbidden: field is immutable when `immutable` is set"));

  ConfigMap unset = old;
  unset.set_immutable(false);
  EXPECT_THAT(Strings(ValidateConfigMapUpdate(unset, old)),
              ElementsAre("immutable: Forbidden: field is immutable when `immutable` is set"));
}

TEST(ConfigMapValidation, AMutableConfigMapMayChangeAndBecomeImmutable) {
  ConfigMap old = Named("app");
  (*old.mutable_data())["a"] = "1";
  ConfigMap changed = old;
  (*changed.mutable_data())["a"] = "2";
  changed.set_immutable(true);
  EXPECT_THAT(ValidateConfigMapUpdate(changed, old), IsEmpty());
  ConfigMap bad = changed;
  (*bad.mutable_data())["a b"] = "3";
  EXPECT_THAT(Strings(ValidateConfigMapUpdate(bad, old)),
              ElementsAre(HasSubstr("data[a b]: Invalid value: \"a b\": a valid config key")));
}

TEST(ConfigMapValidation, TheBuiltinTableKnowsTheKind) {
  ConfigMap cm = Named("app");
  (*cm.mutable_data())["bad key"] = "v";
  EXPECT_EQ(QualifiedKind(cm), "ConfigMap");
  EXPECT_THAT(Strings(ValidateObject(cm)),
              ElementsAre(HasSubstr("data[bad key]: Invalid value: \"bad key\"")));
}

}  // namespace
}  // namespace minik8s::validation
