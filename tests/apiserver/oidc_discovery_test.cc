// The ServiceAccount issuer's discovery documents (serviceaccount/
// oidc_discovery.h): the key set's "n" and "e" (RSA) or "x" and "y" (P-256)
// rebuild a key that verifies what the signing key signed, key ids as the
// tokens' headers give them, the configuration's fields and algorithms, and
// the issuers and URIs that are refused.
#include "apiserver/serviceaccount/oidc_discovery.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "apiserver/serviceaccount/jwt.h"
#include "pki/jws.h"
#include "pki/key.h"

namespace minik8s::apiserver::serviceaccount {
namespace {

// The discovery document's id_token_signing_alg_values_supported (JSON).
std::string SigningAlgs(const OidcDiscovery& oidc) {
  const std::string doc = oidc.Configuration("h:1");
  const std::string key = R"("id_token_signing_alg_values_supported":)";
  const size_t at = doc.find(key);
  if (at == std::string::npos || doc.back() != '}') return "";
  return doc.substr(at + key.size(), doc.size() - 1 - at - key.size());
}

const pki::PrivateKey& SigningKey() {
  static const pki::PrivateKey* key = new pki::PrivateKey(*pki::PrivateKey::GenerateRsa(2048));
  return *key;
}

// The base64url text of `field` ("n", "e", "kid") in `json`.
std::string Field(const std::string& json, const std::string& field) {
  const std::string start = absl::StrCat("\"", field, "\":\"");
  const size_t at = json.find(start);
  if (at == std::string::npos) return "";
  const size_t from = at + start.size();
  return json.substr(from, json.find('"', from) - from);
}

// An RSA public key from its JWK numbers.
pki::EvpPkeyPtr KeyFrom(const std::string& n, const std::string& e) {
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                           static_cast<int>(n.size()), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                           static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, bn_n);
  OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, bn_e);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata_init(ctx) == 1) {
    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  BN_free(bn_n);
  BN_free(bn_e);
  return pki::EvpPkeyPtr(key);
}

// A P-256 public key from its JWK coordinates (32 bytes each).
pki::EvpPkeyPtr EcKeyFrom(const std::string& x, const std::string& y) {
  const std::string point = absl::StrCat("\x04", x, y);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
  OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata_init(ctx) == 1) {
    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  return pki::EvpPkeyPtr(key);
}

const pki::PrivateKey& EcSigningKey() {
  static const pki::PrivateKey* key = new pki::PrivateKey(*pki::PrivateKey::Generate());
  return *key;
}

TEST(OidcDiscovery, KeySetRebuildsTheKeyThatSigned) {
  absl::StatusOr<pki::PublicKeySet> keys = pki::PublicKeySet::FromPrivateKey(SigningKey());
  ASSERT_TRUE(keys.ok()) << keys.status();
  absl::StatusOr<OidcDiscovery> oidc =
      OidcDiscovery::Build("https://kubernetes.default.svc.cluster.local", "", *keys);
  ASSERT_TRUE(oidc.ok()) << oidc.status();
  const std::string& jwks = oidc->Jwks();
  EXPECT_TRUE(absl::StartsWith(jwks, R"({"keys":[{"use":"sig","kty":"RSA","kid":")")) << jwks;
  EXPECT_EQ(Field(jwks, "kid"), keys->entries().front().key_id);
  EXPECT_EQ(Field(jwks, "e"), "AQAB");  // 65537

  absl::StatusOr<std::string> n = pki::Base64UrlDecode(Field(jwks, "n"));
  absl::StatusOr<std::string> e = pki::Base64UrlDecode(Field(jwks, "e"));
  ASSERT_TRUE(n.ok() && e.ok()) << jwks;
  EXPECT_EQ(n->size(), 256u);  // 2048 bits, no leading zero byte
  pki::EvpPkeyPtr rebuilt = KeyFrom(*n, *e);
  ASSERT_NE(rebuilt, nullptr);
  absl::StatusOr<std::string> signature = pki::SignRs256(SigningKey(), "header.claims");
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_TRUE(pki::VerifyRs256(rebuilt.get(), "header.claims", *signature));
  EXPECT_FALSE(pki::VerifyRs256(rebuilt.get(), "header.claimz", *signature));
}

TEST(OidcDiscovery, KeySetRebuildsTheEcKeyThatSigned) {
  absl::StatusOr<pki::PublicKeySet> keys = pki::PublicKeySet::FromPrivateKey(EcSigningKey());
  ASSERT_TRUE(keys.ok()) << keys.status();
  absl::StatusOr<OidcDiscovery> oidc = OidcDiscovery::Build("https://issuer.test", "", *keys);
  ASSERT_TRUE(oidc.ok()) << oidc.status();
  const std::string& jwks = oidc->Jwks();
  const std::string kid = keys->entries().front().key_id;
  const std::string x = Field(jwks, "x");
  const std::string y = Field(jwks, "y");
  EXPECT_EQ(jwks,
            absl::StrCat(R"({"keys":[{"use":"sig","kty":"EC","kid":")", kid,
                         R"(","crv":"P-256","alg":"ES256","x":")", x, R"(","y":")", y, R"("}]})"));
  EXPECT_EQ(x.size(), 43u);  // 32 bytes, base64url without padding
  EXPECT_EQ(y.size(), 43u);
  EXPECT_EQ(SigningAlgs(*oidc), R"(["ES256"])");

  // The rebuilt key verifies a token the signer made.
  absl::StatusOr<std::string> decoded_x = pki::Base64UrlDecode(x);
  absl::StatusOr<std::string> decoded_y = pki::Base64UrlDecode(y);
  ASSERT_TRUE(decoded_x.ok() && decoded_y.ok()) << jwks;
  pki::EvpPkeyPtr rebuilt = EcKeyFrom(*decoded_x, *decoded_y);
  ASSERT_NE(rebuilt, nullptr);
  EXPECT_EQ(*pki::KeyId(rebuilt.get()), kid);
  absl::StatusOr<JwtSigner> signer =
      JwtSigner::Create(*pki::PrivateKey::FromPem(*EcSigningKey().ToPem()));
  ASSERT_TRUE(signer.ok()) << signer.status();
  v1::JwtClaims claims;
  claims.set_sub("system:serviceaccount:default:robot");
  absl::StatusOr<std::string> token = signer->Sign(claims);
  ASSERT_TRUE(token.ok()) << token.status();
  const size_t last_dot = token->rfind('.');
  absl::StatusOr<std::string> signature = pki::Base64UrlDecode(token->substr(last_dot + 1));
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(pki::VerifyEs256(rebuilt.get(), token->substr(0, last_dot), *signature));
  EXPECT_FALSE(pki::VerifyEs256(rebuilt.get(), token->substr(0, last_dot - 1), *signature));
}

TEST(OidcDiscovery, EcCoordinatesAreLeftPaddedToThirtyTwoBytes) {
  // About one P-256 key in 128 has an x or y below 2^248: find one.
  for (int i = 0; i < 20000; ++i) {
    absl::StatusOr<pki::PrivateKey> key = pki::PrivateKey::Generate();
    ASSERT_TRUE(key.ok());
    absl::StatusOr<pki::EcPublicNumbers> numbers = pki::EcNumbers(key->get());
    ASSERT_TRUE(numbers.ok());
    if (numbers->x[0] != 0 && numbers->y[0] != 0) continue;
    absl::StatusOr<pki::PublicKeySet> keys = pki::PublicKeySet::FromPrivateKey(*key);
    ASSERT_TRUE(keys.ok());
    absl::StatusOr<OidcDiscovery> oidc = OidcDiscovery::Build("https://issuer.test", "", *keys);
    ASSERT_TRUE(oidc.ok());
    absl::StatusOr<std::string> x = pki::Base64UrlDecode(Field(oidc->Jwks(), "x"));
    absl::StatusOr<std::string> y = pki::Base64UrlDecode(Field(oidc->Jwks(), "y"));
    ASSERT_TRUE(x.ok() && y.ok());
    EXPECT_EQ(x->size(), 32u);
    EXPECT_EQ(y->size(), 32u);
    EXPECT_EQ(*x, numbers->x);
    EXPECT_EQ(*y, numbers->y);
    EXPECT_TRUE((*x)[0] == 0 || (*y)[0] == 0);
    pki::EvpPkeyPtr rebuilt = EcKeyFrom(*x, *y);
    ASSERT_NE(rebuilt, nullptr);
    EXPECT_EQ(*pki::KeyId(rebuilt.get()), *pki::KeyId(key->get()));
    return;
  }
  ADD_FAILURE() << "no P-256 key with a short coordinate in 20000";
}

TEST(OidcDiscovery, MixedKeysAreAllPublishedAndEveryAlgorithmListed) {
  const std::string pem = absl::StrCat(*SigningKey().PublicKeyPem(), *EcSigningKey().PublicKeyPem(),
                                       *SigningKey().PublicKeyPem());
  absl::StatusOr<pki::PublicKeySet> keys = pki::PublicKeySet::Parse(pem, "mixed");
  ASSERT_TRUE(keys.ok()) << keys.status();
  absl::StatusOr<OidcDiscovery> oidc = OidcDiscovery::Build("https://issuer.test", "", *keys);
  ASSERT_TRUE(oidc.ok()) << oidc.status();
  const std::string& jwks = oidc->Jwks();
  const size_t rsa = jwks.find(R"({"use":"sig","kty":"RSA","kid":")");
  const size_t ec = jwks.find(R"({"use":"sig","kty":"EC","kid":")");
  ASSERT_NE(rsa, std::string::npos) << jwks;
  ASSERT_NE(ec, std::string::npos) << jwks;
  EXPECT_LT(rsa, ec);  // in the order of the key files
  EXPECT_TRUE(absl::StrContains(jwks, absl::StrCat(R"("kid":")", keys->entries()[1].key_id,
                                                   R"(","crv":"P-256","alg":"ES256")")))
      << jwks;
  // Each algorithm once, sorted.
  EXPECT_EQ(SigningAlgs(*oidc), R"(["ES256","RS256"])");
}

TEST(OidcDiscovery, ConfigurationNamesTheIssuerAndWhereTheKeysAre) {
  absl::StatusOr<pki::PublicKeySet> keys = pki::PublicKeySet::FromPrivateKey(SigningKey());
  ASSERT_TRUE(keys.ok());
  absl::StatusOr<OidcDiscovery> derived = OidcDiscovery::Build("https://issuer.test", "", *keys);
  ASSERT_TRUE(derived.ok());
  EXPECT_EQ(derived->Configuration(DefaultJwksUri("10.0.0.1:6443")),
            R"({"issuer":"https://issuer.test","jwks_uri":"https://10.0.0.1:6443/openid/v1/jwks",)"
            R"("response_types_supported":["id_token"],"subject_types_supported":["public"],)"
            R"("id_token_signing_alg_values_supported":["RS256"]})");
  absl::StatusOr<OidcDiscovery> given =
      OidcDiscovery::Build("https://issuer.test/a\"b", "https://keys.test/jwks", *keys);
  ASSERT_TRUE(given.ok());
  const std::string doc = given->Configuration(DefaultJwksUri("10.0.0.1:6443"));
  EXPECT_TRUE(absl::StartsWith(
      doc, R"({"issuer":"https://issuer.test/a\"b","jwks_uri":"https://keys.test/jwks",)"))
      << doc;
}

TEST(OidcDiscovery, RefusesWhatIsNotAnHttpsUrl) {
  absl::StatusOr<pki::PublicKeySet> keys = pki::PublicKeySet::FromPrivateKey(SigningKey());
  ASSERT_TRUE(keys.ok());
  for (const char* issuer :
       {"kubernetes/serviceaccount", "http://issuer.test", "https://", "https:///path", ""}) {
    absl::StatusOr<OidcDiscovery> oidc = OidcDiscovery::Build(issuer, "", *keys);
    EXPECT_EQ(oidc.status().code(), absl::StatusCode::kInvalidArgument) << issuer;
  }
  absl::StatusOr<OidcDiscovery> oidc =
      OidcDiscovery::Build("https://issuer.test", "http://keys.test/jwks", *keys);
  EXPECT_EQ(oidc.status().message(), "the JWKS URI \"http://keys.test/jwks\" is not an https URL");
}

}  // namespace
}  // namespace minik8s::apiserver::serviceaccount
