// JWS signatures (pki/jws.h): ES256 beside RS256. The ES256 signature is
// R || S (RFC 7518 section 3.4), checked against OpenSSL's own DER ECDSA in
// both directions; each key signs and verifies only its own algorithm; keys
// of other curves, small RSA keys and other types are refused naming the
// source and the curve; key ids; a set of mixed RSA and EC key files, where
// a token's kid picks the key.
#include "pki/jws.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/key.h"
#include "pki/pem_file.h"
#include "testing/temp_dir.h"
#include "tests/pki/pki_test_util.h"

namespace minik8s::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const PrivateKey& RsaKey() {
  static const PrivateKey* key = new PrivateKey(*PrivateKey::GenerateRsa(2048));
  return *key;
}

const PrivateKey& EcKey() {
  static const PrivateKey* key = new PrivateKey(*PrivateKey::Generate());
  return *key;
}

// A key OpenSSL makes directly: EVP_PKEY_Q_keygen(type, arg).
PrivateKey Generated(const char* type, const char* curve = nullptr, size_t bits = 0) {
  EVP_PKEY* key = nullptr;
  if (curve != nullptr) {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve);
  } else if (bits != 0) {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, type, bits);
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  }
  EXPECT_NE(key, nullptr) << type;
  return PrivateKey(EvpPkeyPtr(key));
}

using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpenSslDeleter<ECDSA_SIG, ECDSA_SIG_free>>;

// R || S to DER, with OpenSSL alone.
std::string RawToDer(const std::string& raw) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  EcdsaSigPtr sig(ECDSA_SIG_new());
  ECDSA_SIG_set0(sig.get(), BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig.get(), &der);
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return out;
}

// DER to R || S, with OpenSSL alone.
std::string DerToRaw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32);
  return raw;
}

// EVP_DigestSign / EVP_DigestVerify with SHA-256, not the library's code.
std::string OpenSslSign(EVP_PKEY* key, const std::string& data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t length = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(data.data()),
                 data.size());
  std::string out(length, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(out.data()), &length,
                 reinterpret_cast<const unsigned char*>(data.data()), data.size());
  EVP_MD_CTX_free(ctx);
  out.resize(length);
  return out;
}

bool OpenSslVerify(EVP_PKEY* key, const std::string& data, const std::string& signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

std::string Flipped(std::string bytes, size_t at) {
  bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
  return bytes;
}

PublicKeySet SetOf(const std::vector<const PrivateKey*>& keys) {
  std::string pem;
  for (const PrivateKey* key : keys) pem += *key->PublicKeyPem();
  absl::StatusOr<PublicKeySet> set = PublicKeySet::Parse(pem, "test keys");
  EXPECT_TRUE(set.ok()) << set.status();
  return std::move(*set);
}

TEST(Jws, Es256SignsRawRAndSAndVerifies) {
  const std::string data = "header.claims";
  absl::StatusOr<std::string> signature = SignEs256(EcKey(), data);
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(signature->size(), kEs256SignatureBytes);
  EXPECT_TRUE(VerifyEs256(EcKey().get(), data, *signature));
  EXPECT_TRUE(VerifyJws(kJwsEs256, EcKey().get(), data, *signature));
  // ECDSA is randomized; both signatures verify.
  absl::StatusOr<std::string> again = SignEs256(EcKey(), data);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, *signature);
  EXPECT_TRUE(VerifyEs256(EcKey().get(), data, *again));

  EXPECT_FALSE(VerifyEs256(EcKey().get(), "header.claimz", *signature));
  for (size_t at : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
    EXPECT_FALSE(VerifyEs256(EcKey().get(), data, Flipped(*signature, at))) << at;
  }
  EXPECT_FALSE(VerifyEs256(EcKey().get(), data, signature->substr(0, 63)));
  EXPECT_FALSE(VerifyEs256(EcKey().get(), data, *signature + "x"));
  EXPECT_FALSE(VerifyEs256(EcKey().get(), data, std::string(64, '\0')));
  EXPECT_FALSE(VerifyEs256(Generated("EC", "P-256").get(), data, *signature));  // another key
}

TEST(Jws, Es256IsRawNotDerBothWays) {
  const std::string data = "header.claims";
  // Ours, made DER by OpenSSL, is what OpenSSL's ECDSA verifies...
  absl::StatusOr<std::string> raw = SignEs256(EcKey(), data);
  ASSERT_TRUE(raw.ok());
  const std::string der = RawToDer(*raw);
  EXPECT_EQ(der[0], 0x30);  // a DER SEQUENCE, 70 to 72 bytes
  EXPECT_NE(der.size(), kEs256SignatureBytes);
  EXPECT_TRUE(OpenSslVerify(EcKey().get(), data, der));
  EXPECT_FALSE(OpenSslVerify(EcKey().get(), data, *raw));
  // ...and a DER signature is not an ES256 one.
  EXPECT_FALSE(VerifyEs256(EcKey().get(), data, der));
  // OpenSSL's own signature, made R || S, is.
  const std::string theirs = OpenSslSign(EcKey().get(), data);
  EXPECT_FALSE(VerifyEs256(EcKey().get(), data, theirs));
  EXPECT_TRUE(VerifyEs256(EcKey().get(), data, DerToRaw(theirs)));
}

TEST(Jws, Es256PadsShortNumbersToThirtyTwoBytes) {
  // About one signature in 128 has an R or S below 2^248, whose DER is
  // shorter: look for one and check it round-trips both ways.
  const std::string data = "short numbers";
  int found = 0;
  for (int i = 0; i < 20000 && found < 2; ++i) {
    absl::StatusOr<std::string> raw = SignEs256(EcKey(), data);
    ASSERT_TRUE(raw.ok());
    ASSERT_EQ(raw->size(), kEs256SignatureBytes);
    if ((*raw)[0] != 0 && (*raw)[32] != 0) continue;
    ++found;
    EXPECT_TRUE(VerifyEs256(EcKey().get(), data, *raw));
    EXPECT_TRUE(OpenSslVerify(EcKey().get(), data, RawToDer(*raw)));
  }
  EXPECT_GT(found, 0);
}

TEST(Jws, EachKeyTypeSignsAndVerifiesOnlyItsAlgorithm) {
  EXPECT_EQ(*JwsAlgorithmOf(RsaKey().get()), kJwsRs256);
  EXPECT_EQ(*JwsAlgorithmOf(EcKey().get()), kJwsEs256);
  const std::string data = "header.claims";
  absl::StatusOr<std::string> rs = SignJws(RsaKey(), kJwsRs256, data);
  absl::StatusOr<std::string> es = SignJws(EcKey(), kJwsEs256, data);
  ASSERT_TRUE(rs.ok() && es.ok());
  EXPECT_EQ(rs->size(), 256u);
  EXPECT_TRUE(VerifyJws(kJwsRs256, RsaKey().get(), data, *rs));
  EXPECT_TRUE(VerifyJws(kJwsEs256, EcKey().get(), data, *es));
  // The other algorithm with the same key: refused, never tried.
  EXPECT_FALSE(VerifyJws(kJwsEs256, RsaKey().get(), data, *rs));
  EXPECT_FALSE(VerifyJws(kJwsRs256, EcKey().get(), data, *es));
  EXPECT_FALSE(VerifyJws(kJwsEs256, RsaKey().get(), data, *es));
  EXPECT_FALSE(VerifyJws(kJwsRs256, EcKey().get(), data, *rs));
  // An EC key's DER signature is not RS256 either.
  EXPECT_FALSE(VerifyRs256(EcKey().get(), data, OpenSslSign(EcKey().get(), data)));
  for (const char* other : {"none", "HS256", "RS512", "ES384", "PS256", ""}) {
    EXPECT_FALSE(VerifyJws(other, RsaKey().get(), data, *rs)) << other;
    EXPECT_FALSE(VerifyJws(other, EcKey().get(), data, *es)) << other;
    EXPECT_FALSE(SignJws(EcKey(), other, data).ok()) << other;
  }
  EXPECT_THAT(std::string(SignJws(RsaKey(), kJwsEs256, data).status().message()),
              HasSubstr("not a P-256 key (it signs RS256, not ES256)"));
  EXPECT_THAT(std::string(SignJws(EcKey(), kJwsRs256, data).status().message()),
              HasSubstr("not an RSA key (it signs ES256, not RS256)"));
}

TEST(Jws, OtherCurvesSizesAndTypesAreRefusedByName) {
  auto refused = [](const PrivateKey& key) {
    absl::StatusOr<std::string> algorithm = JwsAlgorithmOf(key.get(), "/etc/sa.key");
    EXPECT_EQ(algorithm.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(algorithm.status().message());
  };
  EXPECT_THAT(refused(Generated("EC", "P-384")),
              HasSubstr("/etc/sa.key: an EC key on curve secp384r1 (P-384); only P-256"));
  EXPECT_THAT(refused(Generated("EC", "P-521")), HasSubstr("curve secp521r1 (P-521)"));
  EXPECT_THAT(refused(Generated("EC", "secp256k1")),
              HasSubstr("/etc/sa.key: an EC key on curve secp256k1; only P-256"));
  EXPECT_THAT(refused(Generated("ED25519")),
              HasSubstr("/etc/sa.key: a key of type ED25519, neither RSA nor EC"));
  EXPECT_THAT(refused(Generated("RSA", nullptr, 1024)),
              HasSubstr("/etc/sa.key: an RSA key of 1024 bits (at least 2048 are needed)"));

  // Loading a key file says which file.
  testing::TempDir tmp;
  const std::string path = tmp.Join("p384.pub");
  test::WriteAll(path, *Generated("EC", "P-384").PublicKeyPem());
  absl::StatusOr<PublicKeySet> set = PublicKeySet::Load({path});
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(set.status().message()),
              HasSubstr(absl::StrCat(path, ": an EC key on curve secp384r1 (P-384)")));
  EXPECT_FALSE(SignEs256(Generated("EC", "P-384"), "x").ok());
  EXPECT_FALSE(VerifyEs256(Generated("EC", "P-384").get(), "x", std::string(64, '\1')));
}

TEST(Jws, KeyIdIsTheSha256OfTheDerPublicKeyWhateverThePointForm) {
  // The id: base64url(SHA-256(DER SubjectPublicKeyInfo)), for both types.
  for (const PrivateKey* key : {&RsaKey(), &EcKey()}) {
    unsigned char* der = nullptr;
    const int length = i2d_PUBKEY(key->get(), &der);
    ASSERT_GT(length, 0);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(der, static_cast<size_t>(length), digest);
    OPENSSL_free(der);
    EXPECT_EQ(*KeyId(key->get()),
              Base64UrlEncode(std::string(reinterpret_cast<char*>(digest), sizeof(digest))));
  }
  EXPECT_NE(*KeyId(RsaKey().get()), *KeyId(EcKey().get()));

  // The same P-256 key written with a compressed point has the same id, as
  // its tokens' kid must match it.
  EvpPkeyPtr compressed(EVP_PKEY_dup(EcKey().get()));
  ASSERT_EQ(
      EVP_PKEY_set_utf8_string_param(compressed.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                     OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED),
      1);
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio.get(), compressed.get()), 1);
  const std::string compressed_pem = MemoryBioContents(bio.get());
  ASSERT_NE(compressed_pem, *EcKey().PublicKeyPem());  // the point really is compressed
  absl::StatusOr<PublicKeySet> set = PublicKeySet::Parse(compressed_pem, "compressed");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->entries().at(0).key_id, *KeyId(EcKey().get()));
  absl::StatusOr<std::string> signature = SignEs256(EcKey(), "data");
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(set->Verify(kJwsEs256, "data", *signature, *KeyId(EcKey().get())));
}

TEST(Jws, EcNumbersAreThirtyTwoBytesEach) {
  absl::StatusOr<EcPublicNumbers> numbers = EcNumbers(EcKey().get());
  ASSERT_TRUE(numbers.ok()) << numbers.status();
  EXPECT_EQ(numbers->x.size(), kP256CoordinateBytes);
  EXPECT_EQ(numbers->y.size(), kP256CoordinateBytes);
  // They are the key's point: 04 || X || Y.
  unsigned char point[65];
  size_t length = 0;
  ASSERT_EQ(EVP_PKEY_get_octet_string_param(EcKey().get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                            point, sizeof(point), &length),
            1);
  ASSERT_EQ(length, 65u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(point), length),
            absl::StrCat("\x04", numbers->x, numbers->y));
  EXPECT_FALSE(EcNumbers(RsaKey().get()).ok());
  EXPECT_FALSE(EcNumbers(Generated("EC", "P-384").get()).ok());
  EXPECT_FALSE(RsaNumbers(EcKey().get()).ok());
}

TEST(PublicKeySet, MixedRsaAndEcKeyFilesEachVerifyTheirOwnTokens) {
  testing::TempDir tmp;
  const std::string rsa_pub = tmp.Join("rsa.pub");
  const std::string ec_key = tmp.Join("ec.key");  // a private key file: its public half
  test::WriteAll(rsa_pub, *RsaKey().PublicKeyPem());
  ASSERT_TRUE(WritePrivateKeyFile(ec_key, EcKey()).ok());
  absl::StatusOr<PublicKeySet> set = PublicKeySet::Load({rsa_pub, ec_key});
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ(set->entries()[0].algorithm, kJwsRs256);
  EXPECT_EQ(set->entries()[0].key_id, *KeyId(RsaKey().get()));
  EXPECT_EQ(set->entries()[1].algorithm, kJwsEs256);
  EXPECT_EQ(set->entries()[1].key_id, *KeyId(EcKey().get()));
  EXPECT_THAT(set->Algorithms(), ElementsAre("ES256", "RS256"));

  const std::string data = "header.claims";
  const std::string rs = *SignRs256(RsaKey(), data);
  const std::string es = *SignEs256(EcKey(), data);
  const std::string rsa_id = *KeyId(RsaKey().get());
  const std::string ec_id = *KeyId(EcKey().get());
  EXPECT_TRUE(set->Check(kJwsRs256, data, rs, rsa_id).ok());
  EXPECT_TRUE(set->Check(kJwsEs256, data, es, ec_id).ok());
  // Without a kid every key of the algorithm's type is tried.
  EXPECT_TRUE(set->Check(kJwsRs256, data, rs, "").ok());
  EXPECT_TRUE(set->Check(kJwsEs256, data, es, "").ok());

  auto refused = [&](absl::string_view algorithm, const std::string& signature,
                     const std::string& kid) {
    absl::Status status = set->Check(algorithm, data, signature, kid);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << status;
    return std::string(status.message());
  };
  // The kid picks the key, and the alg must be that key's: an RSA signature
  // under the EC key's kid is refused though the RSA key made it.
  EXPECT_EQ(refused(kJwsRs256, rs, ec_id),
            absl::StrCat("the key \"", ec_id, "\" signs ES256, not RS256"));
  EXPECT_EQ(refused(kJwsEs256, es, rsa_id),
            absl::StrCat("the key \"", rsa_id, "\" signs RS256, not ES256"));
  EXPECT_EQ(refused(kJwsEs256, Flipped(es, 5), ec_id),
            absl::StrCat("the signature was not made by the key \"", ec_id, "\""));
  EXPECT_EQ(refused(kJwsEs256, es, "unknown"), "no trusted key has the key id \"unknown\"");
  EXPECT_EQ(refused(kJwsEs256, Flipped(es, 40), ""),
            "the signature is not one of the trusted keys'");
  EXPECT_EQ(refused("HS256", rs, rsa_id), "the signing algorithm \"HS256\" is not supported");
  EXPECT_EQ(refused("none", "", ""), "the signing algorithm \"none\" is not supported");

  PublicKeySet ec_only = SetOf({&EcKey()});
  EXPECT_EQ(ec_only.Check(kJwsRs256, data, rs, "").message(), "no trusted key signs RS256");
  EXPECT_TRUE(ec_only.Verify(kJwsEs256, data, es, ""));
  EXPECT_THAT(ec_only.Algorithms(), ElementsAre("ES256"));
}

}  // namespace
}  // namespace minik8s::pki
