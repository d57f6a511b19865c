// core/v1 ServiceAccount and authentication/v1 TokenRequest: decoding and
// validation with Kubernetes' messages
// (api/validation/validation_serviceaccount.h).
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/validation/defaults.h"
#include "api/validation/validation.h"
#include "api/validation/validation_serviceaccount.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace minik8s::validation {
namespace {

using minik8s::authentication::v1::TokenRequest;
using minik8s::core::v1::ServiceAccount;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Strings(const FieldErrors& errs) {
  std::vector<std::string> out;
  for (const FieldError& e : errs) out.push_back(e.ToString());
  return out;
}

TEST(ServiceAccountValidation, KubernetesManifestDecodesAndValidates) {
  absl::StatusOr<ServiceAccount> account = api::DecodeAs<ServiceAccount>(R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: default}
secrets: [{name: robot-token}]
imagePullSecrets: [{name: registry}]
automountServiceAccountToken: false
)");
  ASSERT_TRUE(account.ok()) << account.status();
  EXPECT_EQ(account->secrets(0).name(), "robot-token");
  EXPECT_EQ(account->image_pull_secrets(0).name(), "registry");
  EXPECT_TRUE(account->has_automount_service_account_token());
  EXPECT_THAT(Strings(ValidateObject(*account)), IsEmpty());
  EXPECT_EQ(api::EncodeJson(*account),
            R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"robot",)"
            R"("namespace":"default"},"secrets":[{"name":"robot-token"}],)"
            R"("imagePullSecrets":[{"name":"registry"}],"automountServiceAccountToken":false})");

  ServiceAccount bad = *account;
  bad.mutable_metadata()->set_name("Robot_1");
  EXPECT_THAT(Strings(ValidateObject(bad)),
              ElementsAre(::testing::StartsWith("metadata.name: Invalid value: \"Robot_1\"")));
  ServiceAccount renamed = *account;
  renamed.mutable_metadata()->set_name("robot-2");
  EXPECT_THAT(Strings(ValidateObjectUpdate(renamed, *account)),
              ElementsAre("metadata.name: Invalid value: \"robot-2\": field is immutable"));
}

TEST(TokenRequestValidation, ExpirationDefaultsToAnHourAndIsBounded) {
  absl::StatusOr<TokenRequest> request = api::DecodeAs<TokenRequest>(
      R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",)"
      R"("spec":{"audiences":["vault"]}})");
  ASSERT_TRUE(request.ok()) << request.status();
  SetTokenRequestDefaults(&*request);
  EXPECT_EQ(request->spec().expiration_seconds(), 3600);
  EXPECT_THAT(Strings(ValidateTokenRequest(*request)), IsEmpty());

  request->mutable_spec()->set_expiration_seconds(599);
  EXPECT_THAT(Strings(ValidateTokenRequest(*request)),
              ElementsAre("spec.expirationSeconds: Invalid value: 599: may not specify a "
                          "duration less than 10 minutes"));
  request->mutable_spec()->set_expiration_seconds(600);
  EXPECT_THAT(Strings(ValidateTokenRequest(*request)), IsEmpty());
  request->mutable_spec()->set_expiration_seconds(int64_t{1} << 32);
  EXPECT_THAT(Strings(ValidateTokenRequest(*request)),
              ElementsAre("spec.expirationSeconds: Invalid value: 4294967296: may not specify a "
                          "duration larger than 2^32 seconds"));
}

}  // namespace
}  // namespace minik8s::validation
