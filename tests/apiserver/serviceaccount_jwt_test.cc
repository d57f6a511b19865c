// ES256 ServiceAccount tokens beside RS256 ones (serviceaccount/jwt.h over
// pki/jws.h): the token a P-256 key signs, its signature R || S; a token is
// checked with the key its kid names and its alg must be that key's type;
// tampered and DER signatures, "none" and HMAC refused; an apiserver
// trusting several key files of mixed types (an RSA key kept after the
// switch to EC); signing key files of other curves refused naming the file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/codec.h"
#include "apiserver/serviceaccount/jwt.h"
#include "pki/jws.h"
#include "pki/key.h"
#include "pki/pem_file.h"
#include "testing/temp_dir.h"

namespace minik8s::apiserver::serviceaccount {
namespace {

using ::testing::HasSubstr;

const pki::PrivateKey& RsaKey() {
  static const pki::PrivateKey* key = new pki::PrivateKey(*pki::PrivateKey::GenerateRsa(2048));
  return *key;
}

const pki::PrivateKey& EcKey() {
  static const pki::PrivateKey* key = new pki::PrivateKey(*pki::PrivateKey::Generate());
  return *key;
}

pki::PrivateKey Copy(const pki::PrivateKey& key) { return *pki::PrivateKey::FromPem(*key.ToPem()); }

JwtSigner Signer(const pki::PrivateKey& key) {
  absl::StatusOr<JwtSigner> signer = JwtSigner::Create(Copy(key));
  EXPECT_TRUE(signer.ok()) << signer.status();
  return *std::move(signer);
}

pki::PublicKeySet Keys(const std::vector<const pki::PrivateKey*>& keys) {
  std::string pem;
  for (const pki::PrivateKey* key : keys) pem += *key->PublicKeyPem();
  absl::StatusOr<pki::PublicKeySet> set = pki::PublicKeySet::Parse(pem, "keys");
  EXPECT_TRUE(set.ok()) << set.status();
  return *std::move(set);
}

v1::JwtClaims Claims() {
  v1::JwtClaims claims;
  claims.set_iss("https://kubernetes.default.svc.cluster.local");
  claims.set_sub("system:serviceaccount:default:robot");
  claims.add_aud("https://kubernetes.default.svc.cluster.local");
  claims.set_iat(1800000000);
  claims.set_nbf(1800000000);
  claims.set_exp(1800003600);
  claims.set_jti("jti-1");
  claims.mutable_kubernetes()->set_namespace_("default");
  claims.mutable_kubernetes()->mutable_serviceaccount()->set_name("robot");
  claims.mutable_kubernetes()->mutable_serviceaccount()->set_uid("uid-1");
  return claims;
}

std::vector<std::string> Parts(const std::string& token) { return absl::StrSplit(token, '.'); }

// A token with this header, the usual claims, signed by `key` with `alg`'s
// signature (whatever the header says).
std::string Forged(const std::string& header_json, const pki::PrivateKey& key,
                   absl::string_view alg) {
  const std::string input = absl::StrCat(pki::Base64UrlEncode(header_json), ".",
                                         pki::Base64UrlEncode(api::EncodeJson(Claims())));
  absl::StatusOr<std::string> signature = pki::SignJws(key, alg, input);
  EXPECT_TRUE(signature.ok()) << signature.status();
  return absl::StrCat(input, ".", pki::Base64UrlEncode(signature.value_or("")));
}

std::string Header(absl::string_view alg, absl::string_view kid) {
  return kid.empty() ? absl::StrCat(R"({"alg":")", alg, R"("})")
                     : absl::StrCat(R"({"alg":")", alg, R"(","kid":")", kid, R"("})");
}

TEST(JwtEs256, RoundTrip) {
  JwtSigner signer = Signer(EcKey());
  EXPECT_EQ(signer.algorithm(), kAlgorithmEs256);
  EXPECT_EQ(signer.key_id(), *pki::KeyId(EcKey().get()));
  absl::StatusOr<std::string> token = signer.Sign(Claims());
  ASSERT_TRUE(token.ok()) << token.status();
  ASSERT_TRUE(LooksLikeJwt(*token));
  const std::vector<std::string> parts = Parts(*token);
  EXPECT_EQ(*pki::Base64UrlDecode(parts[0]),
            absl::StrCat(R"({"alg":"ES256","kid":")", signer.key_id(), R"("})"));
  const std::string signature = *pki::Base64UrlDecode(parts[2]);
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_EQ(parts[2].size(), 86u);  // 64 bytes in base64url without padding
  EXPECT_TRUE(pki::VerifyEs256(EcKey().get(), absl::StrCat(parts[0], ".", parts[1]), signature));

  absl::StatusOr<v1::JwtClaims> claims = VerifyJwt(Keys({&EcKey()}), *token);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->SerializeAsString(), Claims().SerializeAsString());
  // Another P-256 key's set does not take it.
  absl::StatusOr<pki::PrivateKey> other = pki::PrivateKey::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(VerifyJwt(Keys({&*other}), *token).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(JwtEs256, TamperedSignatureOrPayloadIsRefused) {
  const std::string token = *Signer(EcKey()).Sign(Claims());
  const std::vector<std::string> parts = Parts(token);
  const pki::PublicKeySet keys = Keys({&EcKey()});
  std::string signature = *pki::Base64UrlDecode(parts[2]);
  for (size_t at : {size_t{0}, size_t{20}, size_t{32}, size_t{63}}) {
    std::string bad = signature;
    bad[at] = static_cast<char>(bad[at] ^ 0x80);
    absl::StatusOr<v1::JwtClaims> claims =
        VerifyJwt(keys, absl::StrCat(parts[0], ".", parts[1], ".", pki::Base64UrlEncode(bad)));
    EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated) << at;
    EXPECT_THAT(std::string(claims.status().message()),
                HasSubstr("the signature was not made by the key"));
  }
  // S swapped with R.
  const std::string swapped = signature.substr(32) + signature.substr(0, 32);
  EXPECT_FALSE(
      VerifyJwt(keys, absl::StrCat(parts[0], ".", parts[1], ".", pki::Base64UrlEncode(swapped)))
          .ok());
  v1::JwtClaims evil = Claims();
  evil.set_sub("system:serviceaccount:kube-system:admin");
  absl::StatusOr<v1::JwtClaims> claims = VerifyJwt(
      keys,
      absl::StrCat(parts[0], ".", pki::Base64UrlEncode(api::EncodeJson(evil)), ".", parts[2]));
  EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(JwtEs256, DerSignatureIsRefused) {
  const std::string token = *Signer(EcKey()).Sign(Claims());
  const std::vector<std::string> parts = Parts(token);
  const std::string raw = *pki::Base64UrlDecode(parts[2]);
  // The same R and S as an ECDSA-Sig-Value, what OpenSSL and X.509 write.
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  ASSERT_GT(length, 0);
  const std::string der_signature(reinterpret_cast<const char*>(der), length);
  OPENSSL_free(der);
  absl::StatusOr<v1::JwtClaims> claims =
      VerifyJwt(Keys({&EcKey()}),
                absl::StrCat(parts[0], ".", parts[1], ".", pki::Base64UrlEncode(der_signature)));
  EXPECT_EQ(claims.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(claims.status().message()),
              HasSubstr(absl::StrCat("an ES256 signature is 64 bytes (R then S), this one is ",
                                     der_signature.size())));
}

TEST(JwtEs256, TheAlgMustBeTheTypeOfTheKeyTheKidNames) {
  const pki::PublicKeySet both = Keys({&RsaKey(), &EcKey()});
  const std::string rsa_kid = *pki::KeyId(RsaKey().get());
  const std::string ec_kid = *pki::KeyId(EcKey().get());
  auto refused = [&](const std::string& token) {
    absl::StatusOr<v1::JwtClaims> claims = VerifyJwt(both, token);
    EXPECT_FALSE(claims.ok()) << token;
    return std::string(claims.status().message());
  };
  // Honest tokens of both keys pass.
  EXPECT_TRUE(VerifyJwt(both, Forged(Header("RS256", rsa_kid), RsaKey(), "RS256")).ok());
  EXPECT_TRUE(VerifyJwt(both, Forged(Header("ES256", ec_kid), EcKey(), "ES256")).ok());
  // RS256 signed by the RSA key, but naming the EC key: refused though the
  // RSA key would verify it.
  EXPECT_EQ(refused(Forged(Header("RS256", ec_kid), RsaKey(), "RS256")),
            absl::StrCat("the key \"", ec_kid, "\" signs ES256, not RS256"));
  EXPECT_EQ(refused(Forged(Header("ES256", rsa_kid), EcKey(), "ES256")),
            absl::StrCat("the key \"", rsa_kid, "\" signs RS256, not ES256"));
  // An alg that is not the signature's kind.
  EXPECT_THAT(refused(Forged(Header("ES256", ec_kid), RsaKey(), "RS256")),
              HasSubstr("an ES256 signature is 64 bytes"));
  EXPECT_THAT(refused(Forged(Header("RS256", rsa_kid), EcKey(), "ES256")),
              HasSubstr("the signature was not made by the key"));
  // No kid: every key of the alg's type, and only those.
  EXPECT_TRUE(VerifyJwt(both, Forged(Header("ES256", ""), EcKey(), "ES256")).ok());
  EXPECT_TRUE(VerifyJwt(both, Forged(Header("RS256", ""), RsaKey(), "RS256")).ok());
  EXPECT_EQ(VerifyJwt(Keys({&EcKey()}), Forged(Header("RS256", ""), RsaKey(), "RS256"))
                .status()
                .message(),
            "no trusted key signs RS256");
  EXPECT_EQ(VerifyJwt(Keys({&RsaKey()}), Forged(Header("ES256", ""), EcKey(), "ES256"))
                .status()
                .message(),
            "no trusted key signs ES256");
  // A kid no trusted key has.
  EXPECT_EQ(refused(Forged(Header("ES256", "nobody"), EcKey(), "ES256")),
            "no trusted key has the key id \"nobody\"");
  // "none" and HMAC stay refused, whatever key the kid names.
  const std::string honest = Forged(Header("ES256", ec_kid), EcKey(), "ES256");
  const std::vector<std::string> parts = Parts(honest);
  for (const char* alg : {"none", "HS256", "ES384", "ES512", "PS256"}) {
    EXPECT_THAT(refused(absl::StrCat(pki::Base64UrlEncode(Header(alg, ec_kid)), ".", parts[1], ".",
                                     parts[2])),
                HasSubstr(absl::StrCat("the signing algorithm \"", alg,
                                       "\" is not supported (only RS256 and ES256)")));
  }
}

TEST(JwtEs256, MixedKeyFilesKeepTheOldRsaTokensValid) {
  testing::TempDir tmp;
  const std::string old_pub = tmp.Join("sa-old.pub");
  const std::string new_key = tmp.Join("sa.key");
  ASSERT_TRUE(pki::WriteFileAtomically(old_pub, *RsaKey().PublicKeyPem(), 0644).ok());
  ASSERT_TRUE(pki::WritePrivateKeyFile(new_key, EcKey()).ok());
  // The old signer's token, issued before the switch.
  const std::string old_token = *Signer(RsaKey()).Sign(Claims());

  absl::StatusOr<JwtSigner> signer = JwtSigner::Load(new_key);
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_EQ(signer->algorithm(), kAlgorithmEs256);
  const std::string new_token = *signer->Sign(Claims());
  absl::StatusOr<pki::PublicKeySet> keys = pki::PublicKeySet::Load({old_pub, new_key});
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_TRUE(VerifyJwt(*keys, old_token).ok());
  EXPECT_TRUE(VerifyJwt(*keys, new_token).ok());
  // Without the old key file the old token is refused.
  absl::StatusOr<pki::PublicKeySet> new_only = pki::PublicKeySet::Load({new_key});
  ASSERT_TRUE(new_only.ok());
  EXPECT_EQ(VerifyJwt(*new_only, old_token).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(VerifyJwt(*new_only, new_token).ok());
}

TEST(JwtEs256, SigningKeyFilesOfOtherCurvesAreRefusedNamingFileAndCurve) {
  testing::TempDir tmp;
  const std::string path = tmp.Join("p521.key");
  pki::PrivateKey p521(pki::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521")));
  ASSERT_TRUE(pki::WritePrivateKeyFile(path, p521).ok());
  absl::StatusOr<JwtSigner> signer = JwtSigner::Load(path);
  EXPECT_EQ(signer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(signer.status().message()),
              HasSubstr(absl::StrCat(path,
                                     ": the signing key: an EC key on curve secp521r1 "
                                     "(P-521); only P-256 is supported")));
  absl::StatusOr<pki::PublicKeySet> keys = pki::PublicKeySet::Load({path});
  EXPECT_THAT(std::string(keys.status().message()),
              HasSubstr(absl::StrCat(path, ": an EC key on curve secp521r1 (P-521)")));
}

}  // namespace
}  // namespace minik8s::apiserver::serviceaccount
