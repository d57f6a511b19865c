// ServiceAccount tokens without a server: base64url and RS256 (pki/jws.h),
// the JWT signer and verifier (apiserver/serviceaccount/jwt.h), the claims'
// checks (token.h), the TokenRequest answer (token_request.h) and the
// authenticator (apiserver/authn/service_account_token.h), with a fixed
// clock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/codec.h"
#include "api/errors.h"
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
                HasSubstr("is not supported (only RS256 and ES256)"));
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

TEST(Jwt, OnlyRsaKeysOfAtLeast2048BitsAndP256Keys) {
  absl::StatusOr<pki::PrivateKey> ec = pki::PrivateKey::Generate();
  ASSERT_TRUE(ec.ok());
  absl::StatusOr<JwtSigner> es256 = JwtSigner::Create(*std::move(ec));
  ASSERT_TRUE(es256.ok()) << es256.status();
  EXPECT_EQ(es256->algorithm(), kAlgorithmEs256);
  EXPECT_EQ(Signer().algorithm(), kAlgorithmRs256);
  pki::PrivateKey p384(pki::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")));
  EXPECT_THAT(std::string(JwtSigner::Create(std::move(p384)).status().message()),
              HasSubstr("the signing key: an EC key on curve secp384r1 (P-384)"));
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

  // Bound to a pod, with no way to read pods.
  authentication::v1::TokenRequest bound;
  bound.mutable_spec()->mutable_bound_object_ref()->set_kind("Pod");
  bound.mutable_spec()->mutable_bound_object_ref()->set_api_version("v1");
  EXPECT_EQ(api::Reason(issuer.Answer(Robot(), kNow, &bound)), "ServiceUnavailable");
}

core::v1::Pod RobotPod(const std::string& name, const std::string& node = "n1") {
  core::v1::Pod pod;
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->set_uid("uid-" + name);
  pod.mutable_spec()->set_service_account_name(name == "stranger" ? "other" : "robot");
  pod.mutable_spec()->set_node_name(node);
  return pod;
}

TokenIssuer::Lookups FakeLookups() {
  return {.pod = [](const std::string& ns, const std::string& name,
                    const std::string& uid) -> absl::StatusOr<core::v1::Pod> {
            if (name == "web" || name == "stranger") return RobotPod(name);
            if (name == "pending") return RobotPod(name, "");
            return api::NewNotFound("pods", name);
          },
          .secret = [](const std::string& ns,
                       const std::string& name) -> absl::StatusOr<core::v1::Secret> {
            if (name != "vault") return api::NewNotFound("secrets", name);
            core::v1::Secret secret;
            secret.mutable_metadata()->set_name(name);
            secret.mutable_metadata()->set_uid("uid-vault");
            return secret;
          },
          .node = [](const std::string& name) -> absl::StatusOr<core::v1::Node> {
            if (name != "n1") return api::NewNotFound("nodes", name);
            core::v1::Node node;
            node.mutable_metadata()->set_name(name);
            node.mutable_metadata()->set_uid("uid-n1");
            return node;
          },
          .node_uid = [](const std::string& name) -> std::optional<std::string> {
            if (name == "n1") return std::string("uid-n1");
            return std::nullopt;
          }};
}

authentication::v1::TokenRequest BoundRequest(const std::string& kind, const std::string& name,
                                              const std::string& uid = "", int64_t seconds = 3600) {
  authentication::v1::TokenRequest request;
  auto* ref = request.mutable_spec()->mutable_bound_object_ref();
  ref->set_api_version("v1");
  ref->set_kind(kind);
  ref->set_name(name);
  ref->set_uid(uid);
  request.mutable_spec()->set_expiration_seconds(seconds);
  return request;
}

TEST(TokenIssuer, BindsTokensToPodsAndSecrets) {
  TokenIssuer issuer(Signer(), kIssuer, {kIssuer}, FakeLookups());
  authentication::v1::TokenRequest request = BoundRequest("Pod", "web", "uid-web");
  ASSERT_TRUE(issuer.Answer(Robot(), kNow, &request).ok());
  absl::StatusOr<v1::JwtClaims> claims = VerifyJwt(Keys(), request.status().token());
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->kubernetes().pod().name(), "web");
  EXPECT_EQ(claims->kubernetes().pod().uid(), "uid-web");
  EXPECT_EQ(claims->kubernetes().node().name(), "n1");
  EXPECT_EQ(claims->kubernetes().node().uid(), "uid-n1");
  EXPECT_FALSE(claims->kubernetes().has_secret());
  EXPECT_EQ(claims->kubernetes().warnafter(), 0);
  EXPECT_EQ(claims->exp() - claims->iat(), 3600);
  // The JSON holds Kubernetes' claim names.
  EXPECT_THAT(Decoded(Part(request.status().token(), 1)),
              HasSubstr(R"("pod":{"name":"web","uid":"uid-web"})"));

  // Without a uid the pod's is taken; an unscheduled pod names no node.
  authentication::v1::TokenRequest pending = BoundRequest("Pod", "pending");
  ASSERT_TRUE(issuer.Answer(Robot(), kNow, &pending).ok());
  claims = VerifyJwt(Keys(), pending.status().token());
  EXPECT_EQ(claims->kubernetes().pod().uid(), "uid-pending");
  EXPECT_FALSE(claims->kubernetes().has_node());

  authentication::v1::TokenRequest node = BoundRequest("Node", "n1", "uid-n1");
  ASSERT_TRUE(issuer.Answer(Robot(), kNow, &node).ok());
  claims = VerifyJwt(Keys(), node.status().token());
  EXPECT_EQ(claims->kubernetes().node().name(), "n1");
  EXPECT_EQ(claims->kubernetes().node().uid(), "uid-n1");
  EXPECT_FALSE(claims->kubernetes().has_pod());

  authentication::v1::TokenRequest secret = BoundRequest("Secret", "vault", "uid-vault");
  ASSERT_TRUE(issuer.Answer(Robot(), kNow, &secret).ok());
  claims = VerifyJwt(Keys(), secret.status().token());
  EXPECT_EQ(claims->kubernetes().secret().name(), "vault");
  EXPECT_FALSE(claims->kubernetes().has_pod());
}

TEST(TokenIssuer, AKubeletsTokenLivesAYearAndWarnsAfterItsHour) {
  TokenIssuer issuer(Signer(), kIssuer, {kIssuer}, FakeLookups());
  authentication::v1::TokenRequest request = BoundRequest("Pod", "web", "uid-web", 3607);
  ASSERT_TRUE(issuer.Answer(Robot(), kNow, &request).ok());
  absl::StatusOr<v1::JwtClaims> claims = VerifyJwt(Keys(), request.status().token());
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->exp() - claims->iat(), 365 * 24 * 3600);
  EXPECT_EQ(claims->kubernetes().warnafter(), claims->iat() + 3607);
  EXPECT_EQ(request.status().expiration_timestamp().seconds(), absl::ToUnixSeconds(kNow) + 3607);
  // For another audience, or not bound to a pod: as asked.
  authentication::v1::TokenRequest vault = BoundRequest("Pod", "web", "uid-web", 3607);
  vault.mutable_spec()->add_audiences("vault");
  ASSERT_TRUE(issuer.Answer(Robot(), kNow, &vault).ok());
  EXPECT_EQ(VerifyJwt(Keys(), vault.status().token())->kubernetes().warnafter(), 0);
  authentication::v1::TokenRequest unbound;
  unbound.mutable_spec()->set_expiration_seconds(3607);
  ASSERT_TRUE(issuer.Answer(Robot(), kNow, &unbound).ok());
  claims = VerifyJwt(Keys(), unbound.status().token());
  EXPECT_EQ(claims->exp() - claims->iat(), 3607);
}

TEST(TokenIssuer, RefusesBindingsKubernetesRefuses) {
  TokenIssuer issuer(Signer(), kIssuer, {kIssuer}, FakeLookups());
  authentication::v1::TokenRequest recreated = BoundRequest("Pod", "web", "uid-old");
  absl::Status status = issuer.Answer(Robot(), kNow, &recreated);
  EXPECT_TRUE(api::IsConflict(status)) << status;
  EXPECT_EQ(status.message(),
            "Operation cannot be fulfilled on Pod \"web\": the UID in the bound object "
            "reference (uid-old) does not match the UID in record. The object might have been "
            "deleted and then recreated");
  EXPECT_TRUE(recreated.status().token().empty());

  authentication::v1::TokenRequest missing = BoundRequest("Pod", "gone");
  status = issuer.Answer(Robot(), kNow, &missing);
  EXPECT_TRUE(api::IsNotFound(status)) << status;
  EXPECT_EQ(status.message(), "pods \"gone\" not found");

  authentication::v1::TokenRequest stranger = BoundRequest("Pod", "stranger");
  EXPECT_EQ(issuer.Answer(Robot(), kNow, &stranger).message(),
            "cannot bind token for serviceaccount \"robot\" to pod running with different "
            "serviceaccount name.");
  authentication::v1::TokenRequest gone_node = BoundRequest("Node", "n9");
  EXPECT_EQ(issuer.Answer(Robot(), kNow, &gone_node).message(), "nodes \"n9\" not found");
  authentication::v1::TokenRequest apps = BoundRequest("Deployment", "web");
  apps.mutable_spec()->mutable_bound_object_ref()->set_api_version("apps/v1");
  EXPECT_EQ(issuer.Answer(Robot(), kNow, &apps).message(),
            "cannot bind token to object of type apps/v1, Kind=Deployment");
}

TEST(TokenIssuer, AsksAdmissionWithTheCaller) {
  TokenIssuer::Lookups lookups = FakeLookups();
  const authn::UserInfo* asked = nullptr;
  lookups.admit = [&](const authn::UserInfo* user,
                      const authentication::v1::TokenRequest& request) -> absl::Status {
    asked = user;
    if (!request.spec().has_bound_object_ref()) return absl::PermissionDeniedError("no pod");
    return absl::OkStatus();
  };
  TokenIssuer issuer(Signer(), kIssuer, {kIssuer}, std::move(lookups));
  const authn::UserInfo node{.name = "system:node:n1"};
  authentication::v1::TokenRequest unbound;
  EXPECT_EQ(issuer.Answer(Robot(), kNow, &unbound, &node).message(), "no pod");
  EXPECT_EQ(asked, &node);
  authentication::v1::TokenRequest bound = BoundRequest("Pod", "web");
  EXPECT_TRUE(issuer.Answer(Robot(), kNow, &bound, &node).ok());
}

// The authenticator over a fake ServiceAccount lookup, bound objects (the
// cache's and the store's) and clock.
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
        [this] { return now_; },
        [this](absl::string_view kind, const std::string& ns, const std::string& name,
               bool from_storage) -> std::optional<meta::v1::ObjectMeta> {
          if (from_storage) ++storage_reads_;
          const auto& objects = from_storage ? stored_ : cached_;
          auto it = objects.find(absl::StrCat(kind, "/", ns, "/", name));
          if (it == objects.end()) return std::nullopt;
          return it->second;
        });
  }

  void AddPod(const std::string& name, const std::string& uid, bool cached = true) {
    meta::v1::ObjectMeta meta;
    meta.set_namespace_("default");
    meta.set_name(name);
    meta.set_uid(uid);
    stored_["Pod/default/" + name] = meta;
    if (cached) cached_["Pod/default/" + name] = meta;
  }

  // A token for the robot bound to pod `name` (uid `uid`) on node n1.
  std::string PodToken(const std::string& name, const std::string& uid, absl::Time issued = kNow) {
    BoundObjects bound{.pod = ObjectRef{name, uid}, .node = ObjectRef{"n1", "uid-n1"}};
    return Token(NewClaims(kIssuer, {kIssuer}, kRobot, issued, absl::Hours(1), "jti-2", bound));
  }

  std::optional<core::v1::ServiceAccount> account_ = Robot();
  absl::Time now_ = kNow;
  std::map<std::string, meta::v1::ObjectMeta> cached_;
  std::map<std::string, meta::v1::ObjectMeta> stored_;
  int storage_reads_ = 0;
};

TEST_F(AuthenticatorTest, PodBoundTokenNamesItsPodAndNodeWhileThePodLives) {
  authn::ServiceAccountTokenAuthenticator sa = Authenticator();
  AddPod("web", "uid-web");
  now_ = kNow + absl::Minutes(5);
  const std::string token = PodToken("web", "uid-web");
  std::optional<authn::UserInfo> user = sa.Authenticate(token);
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->name, "system:serviceaccount:default:robot");
  EXPECT_THAT(user->extra.at("authentication.kubernetes.io/pod-name"),
              ::testing::ElementsAre("web"));
  EXPECT_THAT(user->extra.at("authentication.kubernetes.io/pod-uid"),
              ::testing::ElementsAre("uid-web"));
  EXPECT_THAT(user->extra.at("authentication.kubernetes.io/node-name"),
              ::testing::ElementsAre("n1"));
  EXPECT_THAT(user->extra.at("authentication.kubernetes.io/node-uid"),
              ::testing::ElementsAre("uid-n1"));
  EXPECT_THAT(user->extra.at("authentication.kubernetes.io/credential-id"),
              ::testing::ElementsAre("JTI=jti-2"));
  EXPECT_EQ(storage_reads_, 0);  // the cache answered

  // Deleted: refused, without asking storage for an old token.
  cached_.clear();
  stored_.clear();
  EXPECT_FALSE(sa.Authenticate(token).has_value());
  EXPECT_EQ(storage_reads_, 0);
  // Made again under the same name: a new uid, still refused.
  AddPod("web", "uid-web-2");
  EXPECT_FALSE(sa.Authenticate(token).has_value());
  // Being deleted for longer than a minute: refused; just now: accepted.
  AddPod("web", "uid-web");
  cached_["Pod/default/web"].mutable_deletion_timestamp()->set_seconds(
      absl::ToUnixSeconds(now_ - absl::Seconds(30)));
  EXPECT_TRUE(sa.Authenticate(token).has_value());
  cached_["Pod/default/web"].mutable_deletion_timestamp()->set_seconds(
      absl::ToUnixSeconds(now_ - absl::Minutes(2)));
  EXPECT_FALSE(sa.Authenticate(token).has_value());
}

TEST_F(AuthenticatorTest, AFreshTokensPodIsLookedForInStorage) {
  authn::ServiceAccountTokenAuthenticator sa = Authenticator();
  AddPod("new", "uid-new", /*cached=*/false);
  EXPECT_TRUE(sa.Authenticate(PodToken("new", "uid-new")).has_value());
  EXPECT_EQ(storage_reads_, 1);
  // An old token whose pod the cache lacks is not.
  now_ = kNow + absl::Minutes(1);
  EXPECT_FALSE(sa.Authenticate(PodToken("new", "uid-new")).has_value());
  EXPECT_EQ(storage_reads_, 1);
}

TEST_F(AuthenticatorTest, NodeBoundTokenNeedsItsNode) {
  authn::ServiceAccountTokenAuthenticator sa = Authenticator();
  const std::string token = Token(NewClaims(kIssuer, {kIssuer}, kRobot, kNow, absl::Hours(1), "",
                                            {.node = ObjectRef{"n1", "uid-n1"}}));
  now_ = kNow + absl::Minutes(1);
  EXPECT_FALSE(sa.Authenticate(token).has_value());
  meta::v1::ObjectMeta meta;
  meta.set_name("n1");
  meta.set_uid("uid-n1");
  cached_["Node//n1"] = meta;
  std::optional<authn::UserInfo> user = sa.Authenticate(token);
  ASSERT_TRUE(user.has_value());
  EXPECT_THAT(user->extra.at("authentication.kubernetes.io/node-name"),
              ::testing::ElementsAre("n1"));
  EXPECT_FALSE(user->extra.contains("authentication.kubernetes.io/pod-name"));
  cached_["Node//n1"].set_uid("uid-n1-again");
  EXPECT_FALSE(sa.Authenticate(token).has_value());
}

TEST_F(AuthenticatorTest, SecretBoundTokenNeedsItsSecret) {
  authn::ServiceAccountTokenAuthenticator sa = Authenticator();
  const std::string token = Token(NewClaims(kIssuer, {kIssuer}, kRobot, kNow, absl::Hours(1), "",
                                            {.secret = ObjectRef{"vault", "uid-vault"}}));
  now_ = kNow + absl::Minutes(1);
  EXPECT_FALSE(sa.Authenticate(token).has_value());
  meta::v1::ObjectMeta meta;
  meta.set_uid("uid-vault");
  cached_["Secret/default/vault"] = meta;
  std::optional<authn::UserInfo> user = sa.Authenticate(token);
  ASSERT_TRUE(user.has_value());
  EXPECT_FALSE(user->extra.contains("authentication.kubernetes.io/pod-name"));
}

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
