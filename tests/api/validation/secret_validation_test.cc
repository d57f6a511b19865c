// core/v1 Secret: base64 data in JSON and YAML, stringData folded into
// data, and validation with Kubernetes' messages
// (api/validation/validation_secret.h).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/validation/defaults.h"
#include "api/validation/validation.h"
#include "api/validation/validation_secret.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace minik8s::validation {
namespace {

using minik8s::core::v1::Secret;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Strings(const FieldErrors& errs) {
  std::vector<std::string> out;
  for (const FieldError& e : errs) out.push_back(e.ToString());
  return out;
}

Secret Decoded(const std::string& yaml) {
  absl::StatusOr<Secret> secret = api::DecodeAs<Secret>(yaml);
  EXPECT_TRUE(secret.ok()) << secret.status();
  Secret out = secret.ok() ? *secret : Secret();
  SetDefaults(&out);
  return out;
}

TEST(SecretCodec, DataIsBase64BothWays) {
  Secret secret = Decoded(R"(apiVersion: v1
kind: Secret
metadata: {name: db, namespace: default}
data:
  password: czNjcjN0
  blob: AP8=
)");
  EXPECT_EQ(secret.data().at("password"), "s3cr3t");
  EXPECT_EQ(secret.data().at("blob"), std::string("\x00\xff", 2));
  const std::string json = api::EncodeJson(secret);
  EXPECT_THAT(json, HasSubstr(R"("password":"czNjcjN0")"));
  EXPECT_THAT(json, HasSubstr(R"("blob":"AP8=")"));
}

TEST(SecretCodec, MalformedBase64IsRefusedWithGosMessage) {
  for (const char* bad : {"czNjcjN", "cz!jcjN0", "c===", "czNjcjN0=="}) {
    absl::StatusOr<Secret> secret = api::DecodeAs<Secret>(absl::StrCat(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: \"", bad, "\"}\n"));
    ASSERT_FALSE(secret.ok()) << bad;
    EXPECT_THAT(secret.status().message(), HasSubstr("data.k: illegal base64 data at input byte"))
        << bad;
  }
}

TEST(SecretDefaults, StringDataIsFoldedIntoDataAndTypeIsOpaque) {
  Secret secret = Decoded(R"(apiVersion: v1
kind: Secret
metadata: {name: db, namespace: default}
data: {user: YWRtaW4=, password: b2xk}
stringData: {password: new}
)");
  EXPECT_EQ(secret.type(), "Opaque");
  EXPECT_EQ(secret.data().at("user"), "admin");
  EXPECT_EQ(secret.data().at("password"), "new");
  EXPECT_TRUE(secret.string_data().empty());
  EXPECT_THAT(Strings(ValidateSecret(secret)), IsEmpty());
}

TEST(SecretValidation, KeysAndSize) {
  Secret secret = Decoded("apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: d}\n");
  (*secret.mutable_data())["a b"] = "x";
  (*secret.mutable_data())[".."] = "x";
  (*secret.mutable_data())["..x"] = "x";
  (*secret.mutable_data())["big"] = std::string(kMaxSecretSize, 'x');
  EXPECT_THAT(
      Strings(ValidateSecret(secret)),
      ::testing::UnorderedElementsAre(
          "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric "
          "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex "
          "used for validation is '[-._a-zA-Z0-9]+')",
          "data[..]: Invalid value: \"..\": must not be '..'",
          "data[..x]: Invalid value: \"..x\": must not start with '..'",
          "data: Too long: must have at most 1048576 bytes"));
}

TEST(SecretValidation, TypesNeedTheirKeys) {
  Secret tls = Decoded(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: d}\ntype: kubernetes.io/tls\n"
      "data: {tls.crt: eA==}\n");
  EXPECT_THAT(Strings(ValidateSecret(tls)), ElementsAre("data[tls.key]: Required value"));
  Secret basic = Decoded(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: d}\n"
      "type: kubernetes.io/basic-auth\n");
  EXPECT_THAT(Strings(ValidateSecret(basic)),
              ElementsAre("data[username]: Required value", "data[password]: Required value"));
}

TEST(SecretValidation, TypeIsImmutableAndImmutableFreezesData) {
  Secret old = Decoded(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: d, resourceVersion: '1'}\n"
      "immutable: true\ndata: {k: eA==}\n");
  Secret changed = old;
  (*changed.mutable_data())["k"] = "y";
  changed.set_type("kubernetes.io/tls");
  changed.clear_immutable();
  EXPECT_THAT(
      Strings(ValidateSecretUpdate(changed, old)),
      ::testing::IsSupersetOf({"type: Invalid value: \"kubernetes.io/tls\": field is immutable",
                               "immutable: Forbidden: field is immutable when `immutable` is set",
                               "data: Forbidden: field is immutable when `immutable` is set"}));
  EXPECT_THAT(Strings(ValidateSecretUpdate(old, old)), IsEmpty());
}

}  // namespace
}  // namespace minik8s::validation
