// The ServiceAccount issuer's discovery documents (serviceaccount/
// oidc_discovery.h): the key set's "n" and "e" rebuild a key that verifies
// what the signing key signed, key ids as the tokens' headers give them,
// the configuration's fields, and the issuers and URIs that are refused.
#include "apiserver/serviceaccount/oidc_discovery.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "pki/jws.h"
#include "pki/key.h"

namespace minik8s::apiserver::serviceaccount {
namespace {

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
