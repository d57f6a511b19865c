// TokenReview without a server (apiserver/authn/token_review.h): the answer
// for ServiceAccount tokens (audiences: the apiserver's, asked for, not
// meant for the token), static tokens of --token-auth-file (audience
// agnostic), garbage, the request errors, no authenticator; and the
// authentication.k8s.io reviews table (authn/reviews.h). A fixed clock.
#include "apiserver/authn/token_review.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/authn/reviews.h"
#include "apiserver/authn/service_account_token.h"
#include "apiserver/serviceaccount/jwt.h"
#include "apiserver/serviceaccount/token.h"
#include "pki/jws.h"
#include "pki/key.h"

namespace minik8s::apiserver::authn {
namespace {

namespace sa = ::minik8s::apiserver::serviceaccount;
using authentication::v1::TokenReview;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kIssuer[] = "https://kubernetes.default.svc.cluster.local";
const absl::Time kNow = absl::FromUnixSeconds(1800000000);

const pki::PrivateKey& Key() {
  static const pki::PrivateKey* key = new pki::PrivateKey(*pki::PrivateKey::GenerateRsa(2048));
  return *key;
}

// A token for default/robot (uid-1), for `audiences`.
std::string RobotToken(const std::vector<std::string>& audiences) {
  sa::JwtSigner signer = *sa::JwtSigner::Create(*pki::PrivateKey::FromPem(*Key().ToPem()));
  absl::StatusOr<std::string> token = signer.Sign(
      sa::NewClaims(kIssuer, audiences, {.namespace_ = "default", .name = "robot", .uid = "uid-1"},
                    kNow, absl::Hours(1), "jti-1"));
  EXPECT_TRUE(token.ok()) << token.status();
  return token.ok() ? *token : "";
}

class TokenReviewTest : public ::testing::Test {
 protected:
  TokenReviewTest()
      : service_accounts_(
            *pki::PublicKeySet::FromPrivateKey(Key()), {kIssuer}, {kIssuer},
            [this](const std::string& ns,
                   const std::string& name) -> std::optional<core::v1::ServiceAccount> {
              if (!robot_exists_ || ns != "default" || name != "robot") {
                return std::nullopt;
              }
              core::v1::ServiceAccount account;
              account.mutable_metadata()->set_uid("uid-1");
              return account;
            },
            [] { return kNow; }),
        authenticator_(*TokenFile::Parse("static-token,alice,uid-a,\"dev,ops\"\n", "tokens.csv"),
                       /*client_certificates=*/true, nullptr, &service_accounts_, {kIssuer}) {}

  // The answered review of `token` with `audiences`.
  TokenReview Review(const std::string& token, std::vector<std::string> audiences = {}) {
    TokenReview review;
    review.mutable_spec()->set_token(token);
    for (const std::string& a : audiences) review.mutable_spec()->add_audiences(a);
    absl::Status status = AnswerTokenReview(&authenticator_, "", &review);
    EXPECT_TRUE(status.ok()) << status;
    return review;
  }

  bool robot_exists_ = true;
  ServiceAccountTokenAuthenticator service_accounts_;
  Authenticator authenticator_;
};

TEST_F(TokenReviewTest, AServiceAccountTokenIsItsAccount) {
  const std::string token = RobotToken({kIssuer});
  const TokenReview review = Review(token);
  EXPECT_EQ(review.api_version(), "authentication.k8s.io/v1");
  EXPECT_EQ(review.kind(), "TokenReview");
  EXPECT_EQ(review.spec().token(), token);  // echoed, as Kubernetes does
  const auto& status = review.status();
  EXPECT_TRUE(status.authenticated());
  EXPECT_EQ(status.error(), "");
  EXPECT_EQ(status.user().username(), "system:serviceaccount:default:robot");
  EXPECT_EQ(status.user().uid(), "uid-1");
  EXPECT_THAT(status.user().groups(),
              ElementsAre("system:serviceaccounts", "system:serviceaccounts:default",
                          "system:authenticated"));
  ASSERT_EQ(status.user().extra().count("authentication.kubernetes.io/credential-id"), 1u);
  EXPECT_THAT(status.user().extra().at("authentication.kubernetes.io/credential-id").items(),
              ElementsAre("JTI=jti-1"));
  // No spec.audiences: the apiserver's own.
  EXPECT_THAT(status.audiences(), ElementsAre(kIssuer));
}

TEST_F(TokenReviewTest, AudiencesAskedForMustBeTheTokens) {
  const std::string token = RobotToken({"vault", kIssuer});
  // Asked for vault and another: the token is valid for vault.
  TokenReview review = Review(token, {"other", "vault"});
  EXPECT_TRUE(review.status().authenticated());
  EXPECT_THAT(review.status().audiences(), ElementsAre("vault"));
  // Asked only for audiences the token does not name.
  review = Review(token, {"other"});
  EXPECT_FALSE(review.status().authenticated());
  EXPECT_EQ(review.status().error(), kInvalidBearerToken);
  EXPECT_THAT(review.status().audiences(), IsEmpty());
  // A token for vault alone is not one for the apiserver.
  review = Review(RobotToken({"vault"}));
  EXPECT_FALSE(review.status().authenticated());
  review = Review(RobotToken({"vault"}), {"vault"});
  EXPECT_TRUE(review.status().authenticated());
  EXPECT_THAT(review.status().audiences(), ElementsAre("vault"));
}

TEST_F(TokenReviewTest, StaticTokensCountOnlyForTheApiserversAudiences) {
  TokenReview review = Review("static-token");
  EXPECT_TRUE(review.status().authenticated());
  EXPECT_EQ(review.status().user().username(), "alice");
  EXPECT_EQ(review.status().user().uid(), "uid-a");
  EXPECT_THAT(review.status().user().groups(), ElementsAre("dev", "ops", "system:authenticated"));
  EXPECT_THAT(review.status().audiences(), ElementsAre(kIssuer));
  review = Review("static-token", {"vault"});
  EXPECT_FALSE(review.status().authenticated());
  EXPECT_EQ(review.status().user().username(), "");
  review = Review("static-token", {"vault", kIssuer});
  EXPECT_TRUE(review.status().authenticated());
  EXPECT_THAT(review.status().audiences(), ElementsAre(kIssuer));
}

TEST_F(TokenReviewTest, GarbageAndGoneAccountsAreNotAuthenticated) {
  for (const std::string& token :
       {std::string("garbage"), std::string("a.b.c"), RobotToken({kIssuer}) + "x"}) {
    const TokenReview review = Review(token);
    EXPECT_FALSE(review.status().authenticated()) << token;
    EXPECT_EQ(review.status().error(), "invalid bearer token");
    EXPECT_TRUE(review.status().has_user());  // written as `user: {}`
    EXPECT_EQ(review.status().user().username(), "");
    EXPECT_THAT(review.status().user().groups(), IsEmpty());
  }
  const std::string token = RobotToken({kIssuer});
  EXPECT_TRUE(Review(token).status().authenticated());
  robot_exists_ = false;
  EXPECT_FALSE(Review(token).status().authenticated());
}

TEST_F(TokenReviewTest, AStatusSentByTheClientIsReplaced) {
  TokenReview review;
  review.mutable_spec()->set_token("garbage");
  review.mutable_status()->set_authenticated(true);
  review.mutable_status()->mutable_user()->set_username("admin");
  ASSERT_TRUE(AnswerTokenReview(&authenticator_, "", &review).ok());
  EXPECT_FALSE(review.status().authenticated());
  EXPECT_EQ(review.status().user().username(), "");
}

TEST_F(TokenReviewTest, RequestErrorsAreKubernetes) {
  TokenReview review;
  absl::Status status = AnswerTokenReview(&authenticator_, "", &review);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "token is required for TokenReview in authentication");
  review.mutable_spec()->set_token("static-token");
  status = AnswerTokenReview(&authenticator_, "default", &review);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "namespace is not allowed on this type: default");
}

TEST(TokenReview, WithoutTokenAuthenticationNothingIsAuthenticated) {
  for (const Authenticator* authenticator :
       {static_cast<const Authenticator*>(nullptr),
        static_cast<const Authenticator*>(new Authenticator(std::nullopt, true))}) {
    TokenReview review;
    review.mutable_spec()->set_token("anything");
    ASSERT_TRUE(AnswerTokenReview(authenticator, "", &review).ok());
    EXPECT_FALSE(review.status().authenticated());
    EXPECT_EQ(review.status().error(), "");
    delete authenticator;
  }
}

TEST(TokenReview, EncodesWithKubernetesJsonNames) {
  TokenReview review;
  review.set_api_version("authentication.k8s.io/v1");
  review.set_kind("TokenReview");
  review.mutable_spec()->set_token("t");
  review.mutable_spec()->add_audiences("a");
  review.mutable_status()->set_authenticated(true);
  review.mutable_status()->mutable_user()->set_username("u");
  review.mutable_status()->add_audiences("a");
  review.mutable_status()->set_error("e");
  const std::string json = api::EncodeJson(review);
  EXPECT_EQ(json, R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview",)"
                  R"("spec":{"token":"t","audiences":["a"]},)"
                  R"("status":{"authenticated":true,"user":{"username":"u"},"audiences":["a"],)"
                  R"("error":"e"}})");
}

TEST(AuthenticationReviews, ListsSelfSubjectReviewAndTokenReview) {
  std::vector<std::string> kinds;
  for (const AuthenticationReview& review : AuthenticationReviews()) {
    kinds.push_back(review.kind);
    ASSERT_EQ(FindAuthenticationReview(review.resource), &review);
    std::unique_ptr<google::protobuf::Message> message = NewAuthenticationReview(review.resource);
    ASSERT_NE(message, nullptr) << review.resource;
    EXPECT_EQ(message->GetDescriptor()->name(), review.kind);
  }
  EXPECT_THAT(kinds, ElementsAre("SelfSubjectReview", "TokenReview"));
  EXPECT_EQ(FindAuthenticationReview("tokenrequests"), nullptr);
  EXPECT_EQ(NewAuthenticationReview("subjectaccessreviews"), nullptr);
}

}  // namespace
}  // namespace minik8s::apiserver::authn
