// ServiceAccount tokens without a server: base64url and RS256 (pki/jws.h),
// the JWT signer and verifier (apiserver/serviceaccount/jwt.h), the claims'
// checks (token.h), the TokenRequest answer (token_request.h) and the
// authenticator (apiserver/authn/service_account_token.h), with a fixed
// clock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/codec.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/authn/service_account_token.h"
#include "apiserver/serviceaccount/jwt.h"
#include "apiserver/serviceaccount/token.h"
#include "apiserver/serviceaccount/token_request.h"
#include "pki/jws.h"
#include "pki/key.h"

namespace minik8s::apiserver::serviceaccount {
namespace {

using ::testing::HasSubstr;

constexpr char kIssuer[] = "https://kubernetes.default.svc.cluster.local";
const absl::Time kNow = absl::FromUnixSeconds(1800000000);

// One RSA key for the whole suite (generating one takes a while).
const pki::PrivateKey& Key() {
  static const pki::PrivateKey* key = new pki::PrivateKey(*pki::PrivateKey::GenerateRsa(2048));
  return *key;
}

const pki::PrivateKey& OtherKey() {
  static const pki::PrivateKey* key = new pki::PrivateKey(*pki::PrivateKey::GenerateRsa(2048));
  return *key;
}

pki::PrivateKey Copy(const pki::PrivateKey& key) { return *pki::PrivateKey::FromPem(*key.ToPem()); }

JwtSigner Signer(const pki::PrivateKey& key = Key()) { return *JwtSigner::Create(Copy(key)); }

pki::PublicKeySet Keys(const pki::PrivateKey& key = Key()) {
  return *pki::PublicKeySet::FromPrivateKey(key);
}

const AccountRef kRobot{.namespace_ = "default", .name = "robot", .uid = "uid-1"};

std::string Token(const v1::JwtClaims& claims, const pki::PrivateKey& key = Key()) {
  absl::StatusOr<std::string> token = Signer(key).Sign(claims);
  EXPECT_TRUE(token.ok()) << token.status();
  return token.ok() ? *token : "";
}

v1::JwtClaims RobotClaims(absl::Time issued = kNow, absl::Duration lifetime = absl::Hours(1)) {
  return NewClaims(kIssuer, {kIssuer}, kRobot, issued, lifetime, "jti-1");
}

std::string Part(const std::string& token, int i) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  return parts.at(i);
}

std::string Decoded(const std::string& part) { return *pki::Base64UrlDecode(part); }

TEST(Base64Url, RoundTripsWithoutPaddingAndRefusesOtherAlphabets) {
  for (const std::string& data : {std::string(""), std::string("f"), std::string("fo"),
                                  std::string("foo"), std::string("\xfb\xff\xfe", 3)}) {
    const std::string encoded = pki::Base64UrlEncode(data);
    EXPECT_EQ(encoded.find('='), std::string::npos) << encoded;
    EXPECT_EQ(*pki::Base64UrlDecode(encoded), data);
  }
  EXPECT_EQ(pki::Base64UrlEncode("\xfb\xff\xfe"), "-__-");
  EXPECT_FALSE(pki::Base64UrlDecode("+//+").ok());   // standard base64
  EXPECT_FALSE(pki::Base64UrlDecode("Zm9v=").ok());  // padding
  EXPECT_FALSE(pki::Base64UrlDecode("Zm9vY").ok());  // impossible length
  EXPECT_FALSE(pki::Base64UrlDecode("Zh").ok());     // non-zero trailing bits
}

TEST(Jwt, SignsRs256WithKubernetesHeaderAndClaims) {
  const std::string token = Token(RobotClaims());
  ASSERT_TRUE(LooksLikeJwt(token)) << token;
  JwtSigner signer = Signer();
  EXPECT_EQ(Decoded(Part(token, 0)),
            absl::StrCat(R"({"alg":"RS256","kid":")", signer.key_id(), R"("})"));
  EXPECT_EQ(signer.key_id(), *pki::KeyId(Key().get()));
  EXPECT_EQ(Decoded(Part(token, 1)),
            R"({"aud":["https://kubernetes.default.svc.cluster.local"],"exp":1800003600,)"
            R"("iat":1800000000,"iss":"https://kubernetes.default.svc.cluster.local",)"
            R"("jti":"jti-1","kubernetes.io":{"namespace":"default",)"
            R"("serviceaccount":{"name":"robot","uid":"uid-1"}},"nbf":1800000000,)"
            R"("sub":"system:serviceaccount:default:robot"})");

  absl::StatusOr<v1::JwtClaims> claims = VerifyJwt(Keys(), token);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->SerializeAsString(), RobotClaims().SerializeAsString());
}

TEST(Jwt, TamperedPayloadIsRefused) {
  const std::string token = Token(RobotClaims());
  v1::JwtClaims evil = RobotClaims();
  evil.mutable_kubernetes()->mutable_serviceaccount()->set_name("admin");
  evil.set_sub("system:serviceaccount:default:admin");
  const std::string forged = absl::StrCat(
      Part(token, 0), ".", pki::Base64UrlEncode(api::EncodeJson(evil)), ".", Part(token, 2));
  absl::StatusOr<v1::JwtClaims> claims = VerifyJwt(Keys(), forged);
  EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated) << claims.status();
  // One flipped character of the signature, too.
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyJwt(Keys(), flipped).ok());
}

TEST(Jwt, AnotherKeysSignatureIsRefused) {
  const std::string token = Token(RobotClaims(), OtherKey());
  EXPECT_EQ(VerifyJwt(Keys(), token).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(VerifyJwt(Keys(OtherKey()), token).ok());
  // A set holding both verifies either (key rotation), whatever the kid says.
  absl::StatusOr<pki::PublicKeySet> both = pki::PublicKeySet::Parse(
      absl::StrCat(*Key().PublicKeyPem(), *OtherKey().PublicKeyPem()), "both");
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->size(), 2u);
  EXPECT_TRUE(VerifyJwt(*both, token).ok());
  EXPECT_TRUE(VerifyJwt(*both, Token(RobotClaims())).ok());
}

TEST(Jwt, MalformedTokensAreRefusedWithTheReason) {
  const std::string token = Token(RobotClaims());
  auto reason = [](absl::string_view bad) {
    absl::StatusOr<v1::JwtClaims> claims = VerifyJwt(Keys(), bad);
    EXPECT_FALSE(claims.ok()) << bad;
    return std::string(claims.status().message());
  };
  EXPECT_THAT(reason(""), HasSubstr("not a JWT"));
  EXPECT_THAT(reason("abc.def"), HasSubstr("not a JWT"));
  EXPECT_THAT(reason("a.b.c.d"), HasSubstr("not a JWT"));
  EXPECT_THAT(reason(absl::StrCat(Part(token, 0), "..", Part(token, 2))), HasSubstr("not a JWT"));
  EXPECT_THAT(reason("a+b.c.d"), HasSubstr("not a JWT"));
  EXPECT_THAT(reason(std::string(kMaxTokenBytes, 'a') + ".b.c"), HasSubstr("not a JWT"));
  EXPECT_THAT(reason(absl::StrCat("Zh.", Part(token, 1), ".", Part(token, 2))),
              HasSubstr("the header: base64url"));
  EXPECT_THAT(
      reason(absl::StrCat(pki::Base64UrlEncode("[1]"), ".", Part(token, 1), ".", Part(token, 2))),
      HasSubstr("the header is not a JSON object"));
  EXPECT_THAT(reason(absl::StrCat(pki::Base64UrlEncode("{\"alg\":"), ".", Part(token, 1), ".",
                                  Part(token, 2))),
              HasSubstr("the header is not valid JSON"));
  // alg none and HMAC are never accepted, whatever the signature.
  for (const char* alg : {"none", "HS256", "RS512"}) {
    EXPECT_THAT(reason(absl::StrCat(pki::Base64UrlEncode(absl::StrCat(R"({"alg":")", alg, "\"}")),
                                    ".", Part(token, 1), ".", Part(token, 2))),
                HasSubstr("is not supported (only RS256)"));
  }
  // A validly signed token whose claims are not JSON.
  const std::string input = absl::StrCat(Part(token, 0), ".", pki::Base64UrlEncode("nope"));
  const std::string signed_garbage =
      absl::StrCat(input, ".", pki::Base64UrlEncode(*pki::SignRs256(Key(), input)));
  EXPECT_THAT(reason(signed_garbage), HasSubstr("the claims is not a JSON object"));
}

TEST(Jwt, AudienceMayBeOneString) {
  const std::string header = Part(Token(RobotClaims()), 0);
  const std::string input = absl::StrCat(
      header, ".",
      pki::Base64UrlEncode(R"({"aud":"x","exp":1,"iss":"i","extra":{"ignored":[1]}})"));
  const std::string token =
      absl::StrCat(input, ".", pki::Base64UrlEncode(*pki::SignRs256(Key(), input)));
  absl::StatusOr<v1::JwtClaims> claims = VerifyJwt(Keys(), token);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_THAT(claims->aud(), ::testing::ElementsAre("x"));
}

TEST(Jwt, OnlyRsaKeysOfAtLeast2048Bits) {
  absl::StatusOr<pki::PrivateKey> ec = pki::PrivateKey::Generate();
  ASSERT_TRUE(ec.ok());
  EXPECT_THAT(std::string(JwtSigner::Create(*std::move(ec)).status().message()),
              HasSubstr("not an RSA key"));
  EXPECT_FALSE(pki::PrivateKey::GenerateRsa(1024).ok());
  EXPECT_THAT(std::string(pki::PublicKeySet::Parse("nothing", "f").status().message()),
              HasSubstr("f: no PEM key or certificate"));
}

TEST(Claims, ValidTokenNamesItsServiceAccount) {
  absl::StatusOr<ValidatedToken> valid = ValidateClaims(RobotClaims(), {kIssuer}, {kIssuer}, kNow);
  ASSERT_TRUE(valid.ok()) << valid.status();
  EXPECT_EQ(valid->account, kRobot);
  EXPECT_EQ(valid->jti, "jti-1");
  EXPECT_EQ(valid->expiration, kNow + absl::Hours(1));
}

TEST(Claims, ExpiredAndNotYetValidTokensAreRefusedPastTheLeeway) {
  const v1::JwtClaims claims = RobotClaims();
  const absl::Time expiry = kNow + absl::Hours(1);
  EXPECT_TRUE(ValidateClaims(claims, {kIssuer}, {kIssuer}, expiry + kLeeway).ok());
  absl::StatusOr<ValidatedToken> expired =
      ValidateClaims(claims, {kIssuer}, {kIssuer}, expiry + kLeeway + absl::Seconds(1));
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(expired.status().message()), HasSubstr("expired"));

  EXPECT_TRUE(ValidateClaims(claims, {kIssuer}, {kIssuer}, kNow - kLeeway).ok());
  absl::StatusOr<ValidatedToken> early =
      ValidateClaims(claims, {kIssuer}, {kIssuer}, kNow - kLeeway - absl::Seconds(1));
  EXPECT_THAT(std::string(early.status().message()), HasSubstr("not valid yet"));

  v1::JwtClaims no_expiry = claims;
  no_expiry.clear_exp();
  EXPECT_THAT(std::string(ValidateClaims(no_expiry, {kIssuer}, {kIssuer}, kNow).status().message()),
              HasSubstr("no expiration"));
}

TEST(Claims, WrongAudienceIssuerOrSubjectIsRefused) {
  absl::StatusOr<ValidatedToken> audience =
      ValidateClaims(RobotClaims(), {kIssuer}, {"vault"}, kNow);
  EXPECT_THAT(std::string(audience.status().message()), HasSubstr("(aud)"));
  v1::JwtClaims several = NewClaims(kIssuer, {"vault", "api"}, kRobot, kNow, absl::Hours(1));
  EXPECT_TRUE(ValidateClaims(several, {kIssuer}, {"api"}, kNow).ok());

  absl::StatusOr<ValidatedToken> issuer =
      ValidateClaims(RobotClaims(), {"https://other"}, {kIssuer}, kNow);
  EXPECT_THAT(std::string(issuer.status().message()), HasSubstr("not by this apiserver"));

  v1::JwtClaims liar = RobotClaims();
  liar.set_sub("system:serviceaccount:kube-system:admin");
  EXPECT_THAT(std::string(ValidateClaims(liar, {kIssuer}, {kIssuer}, kNow).status().message()),
              HasSubstr("disagree"));
  v1::JwtClaims anonymous = RobotClaims();
  anonymous.clear_kubernetes();
  EXPECT_FALSE(ValidateClaims(anonymous, {kIssuer}, {kIssuer}, kNow).ok());
}

core::v1::ServiceAccount Robot(const std::string& uid = "uid-1") {
  core::v1::ServiceAccount account;
  account.mutable_metadata()->set_namespace_("default");
  account.mutable_metadata()->set_name("robot");
  account.mutable_metadata()->set_uid(uid);
  return account;
}

TEST(TokenIssuer, AnswersWithASignedTokenAndItsExpiry) {
  TokenIssuer issuer(Signer(), kIssuer, {kIssuer});
  authentication::v1::TokenRequest request;
  ASSERT_TRUE(issuer.Answer(Robot(), kNow, &request).ok());
  EXPECT_EQ(request.api_version(), "authentication.k8s.io/v1");
  EXPECT_EQ(request.kind(), "TokenRequest");
  EXPECT_EQ(request.metadata().name(), "robot");
  EXPECT_EQ(request.metadata().namespace_(), "default");
  EXPECT_EQ(request.spec().expiration_seconds(), 3600);
  EXPECT_THAT(request.spec().audiences(), ::testing::ElementsAre(kIssuer));
  EXPECT_EQ(request.status().expiration_timestamp().seconds(),
            absl::ToUnixSeconds(kNow + absl::Hours(1)));
  absl::StatusOr<v1::JwtClaims> claims = VerifyJwt(Keys(), request.status().token());
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->kubernetes().serviceaccount().uid(), "uid-1");
  EXPECT_EQ(claims->exp(), request.status().expiration_timestamp().seconds());

  authentication::v1::TokenRequest vault;
  vault.mutable_spec()->add_audiences("vault");
  vault.mutable_spec()->set_expiration_seconds(7200);
  ASSERT_TRUE(issuer.Answer(Robot(), kNow, &vault).ok());
  claims = VerifyJwt(Keys(), vault.status().token());
  ASSERT_TRUE(claims.ok());
  EXPECT_THAT(claims->aud(), ::testing::ElementsAre("vault"));
  EXPECT_EQ(claims->exp() - claims->iat(), 7200);
}

TEST(TokenIssuer, RefusesShortLivesAndMismatchedNames) {
  TokenIssuer issuer(Signer(), kIssuer, {kIssuer});
  authentication::v1::TokenRequest short_lived;
  short_lived.mutable_spec()->set_expiration_seconds(300);
  absl::Status status = issuer.Answer(Robot(), kNow, &short_lived);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(status.message(),
            "TokenRequest.authentication.k8s.io \"robot\" is invalid: spec.expirationSeconds: "
            "Invalid value: 300: may not specify a duration less than 10 minutes");
  EXPECT_TRUE(short_lived.status().token().empty());

  authentication::v1::TokenRequest other;
  other.mutable_metadata()->set_name("someone-else");
  EXPECT_EQ(issuer.Answer(Robot(), kNow, &other).code(), absl::StatusCode::kInvalidArgument);

  authentication::v1::TokenRequest bound;
  bound.mutable_spec()->mutable_bound_object_ref()->set_kind("Pod");
  EXPECT_THAT(std::string(issuer.Answer(Robot(), kNow, &bound).message()),
              HasSubstr("spec.boundObjectRef: Forbidden"));
}

// The authenticator over a fake ServiceAccount lookup and clock.
class AuthenticatorTest : public ::testing::Test {
 protected:
  authn::ServiceAccountTokenAuthenticator Authenticator() {
    return authn::ServiceAccountTokenAuthenticator(
        Keys(), {kIssuer}, {kIssuer},
        [this](const std::string& ns,
               const std::string& name) -> std::optional<core::v1::ServiceAccount> {
          if (account_.has_value() && ns == account_->metadata().namespace_() &&
              name == account_->metadata().name()) {
            return account_;
          }
          return std::nullopt;
        },
        [this] { return now_; });
  }

  std::optional<core::v1::ServiceAccount> account_ = Robot();
  absl::Time now_ = kNow;
};

TEST_F(AuthenticatorTest, ValidTokenIsTheServiceAccountUser) {
  authn::ServiceAccountTokenAuthenticator sa = Authenticator();
  std::optional<authn::UserInfo> user = sa.Authenticate(Token(RobotClaims()));
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->name, "system:serviceaccount:default:robot");
  EXPECT_EQ(user->uid, "uid-1");
  EXPECT_THAT(user->groups,
              ::testing::ElementsAre("system:serviceaccounts", "system:serviceaccounts:default",
                                     "system:authenticated"));
  EXPECT_THAT(user->extra.at("authentication.kubernetes.io/credential-id"),
              ::testing::ElementsAre("JTI=jti-1"));

  // Through the chain: the header form, and a refusal is a 401.
  authn::Authenticator chain(std::nullopt, false, nullptr, &sa);
  EXPECT_TRUE(chain.enabled());
  authn::Authenticator::Result result =
      chain.Authenticate(absl::StrCat("Bearer ", Token(RobotClaims())));
  EXPECT_EQ(result.outcome, authn::Authenticator::Outcome::kAuthenticated);
  EXPECT_EQ(result.user.name, "system:serviceaccount:default:robot");
  EXPECT_EQ(chain.Authenticate("Bearer abc.def.ghi").outcome,
            authn::Authenticator::Outcome::kRejected);
}

TEST_F(AuthenticatorTest, DeletedOrRecreatedServiceAccountEndsItsTokens) {
  authn::ServiceAccountTokenAuthenticator sa = Authenticator();
  const std::string token = Token(RobotClaims());
  account_ = Robot("uid-2");  // deleted and made again: a new uid
  EXPECT_FALSE(sa.Authenticate(token).has_value());
  account_.reset();
  EXPECT_FALSE(sa.Authenticate(token).has_value());
  account_ = Robot();
  account_->mutable_metadata()->mutable_deletion_timestamp()->set_seconds(1);
  EXPECT_FALSE(sa.Authenticate(token).has_value());
}

TEST_F(AuthenticatorTest, ExpiredForeignOrNonJwtTokensAreRefused) {
  authn::ServiceAccountTokenAuthenticator sa = Authenticator();
  EXPECT_FALSE(sa.Authenticate("abcdef.0123456789abcdef").has_value());
  EXPECT_FALSE(sa.Authenticate(Token(RobotClaims(), OtherKey())).has_value());
  now_ = kNow + absl::Hours(2);
  EXPECT_FALSE(sa.Authenticate(Token(RobotClaims())).has_value());
  now_ = kNow;
  EXPECT_FALSE(sa.Authenticate(Token(NewClaims(kIssuer, {"vault"}, kRobot, kNow, absl::Hours(1))))
                   .has_value());
}

}  // namespace
}  // namespace minik8s::apiserver::serviceaccount
