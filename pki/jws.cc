#include "pki/jws.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "pki/pem_file.h"

namespace minik8s::pki {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr int kMinRsaBits = 2048;

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// The short name OpenSSL gives the curve of EC key `key` ("prime256v1",
// "secp384r1"), or "" when it has none (explicit parameters).
std::string CurveName(EVP_PKEY* key) {
  char name[80] = {0};
  size_t length = 0;
  if (EVP_PKEY_get_group_name(key, name, sizeof(name), &length) != 1) {
    ClearOpenSslErrors();
    return "";
  }
  return std::string(name, length);
}

bool IsP256(EVP_PKEY* key) {
  return key != nullptr && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
         CurveName(key) == SN_X9_62_prime256v1;
}

bool IsRsaOfAtLeastMinBits(EVP_PKEY* key) {
  return key != nullptr && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
         EVP_PKEY_get_bits(key) >= kMinRsaBits;
}

constexpr char kSupportedKeys[] =
    "ServiceAccount tokens are signed RS256 with an RSA key of at least 2048 bits or ES256 with "
    "an EC key on P-256";

using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpenSslDeleter<ECDSA_SIG, ECDSA_SIG_free>>;

// EVP_DigestSign with SHA-256: PKCS#1 v1.5 for an RSA key, DER
// ECDSA-Sig-Value for an EC key.
absl::StatusOr<std::string> DigestSignSha256(EVP_PKEY* key, absl::string_view data) {
  ClearOpenSslErrors();
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_MD_CTX_new");
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_DigestSignInit");
  }
  size_t length = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &length, bytes, data.size()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_DigestSign (length)");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, bytes,
                     data.size()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "EVP_DigestSign");
  }
  signature.resize(length);
  return signature;
}

bool DigestVerifySha256(EVP_PKEY* key, absl::string_view data, absl::string_view signature) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return false;
  const bool ok =
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  // A failed verification leaves entries on this thread's queue.
  ClearOpenSslErrors();
  return ok;
}

// Frees what PEM_read_bio allocates.
struct PemBlock {
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  ~PemBlock() {
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
};

// The public key of one PEM block, or why not.
absl::StatusOr<EvpPkeyPtr> KeyOfBlock(const PemBlock& block) {
  const std::string name = block.name;
  const unsigned char* p = block.data;
  EvpPkeyPtr key;
  if (name == "PUBLIC KEY") {
    key.reset(d2i_PUBKEY(nullptr, &p, block.length));
  } else if (name == "RSA PUBLIC KEY") {
    key.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, block.length));
  } else if (name == "PRIVATE KEY" || name == "RSA PRIVATE KEY" || name == "EC PRIVATE KEY") {
    key.reset(d2i_AutoPrivateKey(nullptr, &p, block.length));
  } else if (name == "CERTIFICATE") {
    X509Ptr cert(d2i_X509(nullptr, &p, block.length));
    if (cert != nullptr) key.reset(X509_get_pubkey(cert.get()));
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "a PEM block \"", name,
        "\": expected PUBLIC KEY, RSA PUBLIC KEY, an unencrypted private key or CERTIFICATE"));
  }
  if (key == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("the PEM block \"", name, "\" does not parse"));
  }
  return key;
}

}  // namespace

std::string Base64UrlEncode(absl::string_view data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(data[i]) << 16) |
                       (static_cast<uint8_t>(data[i + 1]) << 8) | static_cast<uint8_t>(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t v = static_cast<uint8_t>(data[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const uint32_t v =
        (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text) {
  if (text.size() % 4 == 1) {
    return absl::InvalidArgumentError("base64url: a length that no encoding produces");
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const int v = Base64UrlValue(text[i]);
    if (v < 0) {
      return absl::InvalidArgumentError(absl::StrCat("base64url: illegal character at offset ", i));
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  // The bits left over must be zero, as the encoder writes them.
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError("base64url: non-zero trailing bits");
  }
  return out;
}

absl::StatusOr<std::string> KeyId(EVP_PKEY* key) {
  if (key == nullptr) return absl::InvalidArgumentError("no key");
  ClearOpenSslErrors();
  EVP_PKEY* encoded = key;
  EvpPkeyPtr normalized;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    // The DER Go writes: the curve by name, the point uncompressed.
    normalized.reset(EVP_PKEY_dup(key));
    if (normalized == nullptr ||
        EVP_PKEY_set_utf8_string_param(normalized.get(), OSSL_PKEY_PARAM_EC_ENCODING,
                                       OSSL_PKEY_EC_ENCODING_GROUP) != 1 ||
        EVP_PKEY_set_utf8_string_param(normalized.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 1) {
      return OpenSslError(absl::StatusCode::kInternal, "normalizing an EC public key");
    }
    encoded = normalized.get();
  }
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(encoded, &der);
  if (length <= 0) return OpenSslError(absl::StatusCode::kInternal, "encoding a public key");
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(length), digest);
  OPENSSL_free(der);
  return Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<std::string> JwsAlgorithmOf(EVP_PKEY* key, absl::string_view what) {
  if (key == nullptr) return absl::InvalidArgumentError(absl::StrCat(what, ": no key"));
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) < kMinRsaBits) {
        return absl::InvalidArgumentError(absl::StrCat(what, ": an RSA key of ",
                                                       EVP_PKEY_get_bits(key), " bits (at least ",
                                                       kMinRsaBits, " are needed)"));
      }
      return std::string(kJwsRs256);
    case EVP_PKEY_EC: {
      const std::string curve = CurveName(key);
      if (curve == SN_X9_62_prime256v1) return std::string(kJwsEs256);
      if (curve.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": an EC key with explicit curve parameters, not a named curve (",
                         kSupportedKeys, ")"));
      }
      const char* nist = EC_curve_nid2nist(OBJ_sn2nid(curve.c_str()));
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": an EC key on curve ", curve,
                       nist != nullptr ? absl::StrCat(" (", nist, ")") : std::string(),
                       "; only P-256 is supported (", kSupportedKeys, ")"));
    }
    default: {
      const char* type = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": a key of type ", type != nullptr ? type : "unknown",
                       ", neither RSA nor EC (", kSupportedKeys, ")"));
    }
  }
}

absl::StatusOr<std::string> SignRs256(const PrivateKey& key, absl::string_view data) {
  if (!IsRsaOfAtLeastMinBits(key.get())) {
    absl::StatusOr<std::string> algorithm = JwsAlgorithmOf(key.get(), "the signing key");
    if (!algorithm.ok()) return algorithm.status();
    return absl::InvalidArgumentError(
        absl::StrCat("the signing key is not an RSA key (it signs ", *algorithm, ", not RS256)"));
  }
  return DigestSignSha256(key.get(), data);
}

bool VerifyRs256(EVP_PKEY* key, absl::string_view data, absl::string_view signature) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return false;
  return DigestVerifySha256(key, data, signature);
}

absl::StatusOr<std::string> SignEs256(const PrivateKey& key, absl::string_view data) {
  if (!IsP256(key.get())) {
    absl::StatusOr<std::string> algorithm = JwsAlgorithmOf(key.get(), "the signing key");
    if (!algorithm.ok()) return algorithm.status();
    return absl::InvalidArgumentError(
        absl::StrCat("the signing key is not a P-256 key (it signs ", *algorithm, ", not ES256)"));
  }
  absl::StatusOr<std::string> der = DigestSignSha256(key.get(), data);
  if (!der.ok()) return der.status();
  // OpenSSL writes ECDSA-Sig-Value (DER); JWS wants R || S.
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der->size())));
  if (sig == nullptr) return OpenSslError(absl::StatusCode::kInternal, "d2i_ECDSA_SIG");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(kEs256SignatureBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kP256CoordinateBytes) != static_cast<int>(kP256CoordinateBytes) ||
      BN_bn2binpad(s, out + kP256CoordinateBytes, kP256CoordinateBytes) !=
          static_cast<int>(kP256CoordinateBytes)) {
    return OpenSslError(absl::StatusCode::kInternal, "an ECDSA signature number too long");
  }
  return raw;
}

bool VerifyEs256(EVP_PKEY* key, absl::string_view data, absl::string_view signature) {
  if (signature.size() != kEs256SignatureBytes || !IsP256(key)) return false;
  const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw, kP256CoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(raw + kP256CoordinateBytes, kP256CoordinateBytes, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ClearOpenSslErrors();
    return false;
  }
  // ECDSA_SIG_set0 took r and s.
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig.get(), &der);
  if (length <= 0) {
    ClearOpenSslErrors();
    return false;
  }
  const bool ok = DigestVerifySha256(
      key, data,
      absl::string_view(reinterpret_cast<const char*>(der), static_cast<size_t>(length)));
  OPENSSL_free(der);
  return ok;
}

absl::StatusOr<std::string> SignJws(const PrivateKey& key, absl::string_view algorithm,
                                    absl::string_view data) {
  if (algorithm == kJwsRs256) return SignRs256(key, data);
  if (algorithm == kJwsEs256) return SignEs256(key, data);
  return absl::InvalidArgumentError(
      absl::StrCat("the signing algorithm \"", algorithm, "\" is not supported (RS256, ES256)"));
}

bool VerifyJws(absl::string_view algorithm, EVP_PKEY* key, absl::string_view data,
               absl::string_view signature) {
  if (algorithm == kJwsRs256) return VerifyRs256(key, data, signature);
  if (algorithm == kJwsEs256) return VerifyEs256(key, data, signature);
  return false;
}

absl::StatusOr<RsaPublicNumbers> RsaNumbers(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError("not an RSA key");
  }
  RsaPublicNumbers out;
  for (auto [name, bytes] : {std::pair{OSSL_PKEY_PARAM_RSA_N, &out.modulus},
                             std::pair{OSSL_PKEY_PARAM_RSA_E, &out.exponent}}) {
    BIGNUM* number = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &number) != 1 || number == nullptr) {
      ClearOpenSslErrors();
      return absl::InvalidArgumentError(absl::StrCat("cannot read the RSA key's ", name));
    }
    bytes->resize(static_cast<size_t>(BN_num_bytes(number)));
    BN_bn2bin(number, reinterpret_cast<unsigned char*>(bytes->data()));
    BN_free(number);
  }
  return out;
}

absl::StatusOr<EcPublicNumbers> EcNumbers(EVP_PKEY* key) {
  if (!IsP256(key)) return absl::InvalidArgumentError("not an EC key on P-256");
  EcPublicNumbers out;
  for (auto [name, bytes] :
       {std::pair{OSSL_PKEY_PARAM_EC_PUB_X, &out.x}, std::pair{OSSL_PKEY_PARAM_EC_PUB_Y, &out.y}}) {
    BIGNUM* number = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &number) != 1 || number == nullptr) {
      ClearOpenSslErrors();
      return absl::InvalidArgumentError(absl::StrCat("cannot read the EC key's ", name));
    }
    bytes->resize(kP256CoordinateBytes);
    const int written = BN_bn2binpad(number, reinterpret_cast<unsigned char*>(bytes->data()),
                                     static_cast<int>(kP256CoordinateBytes));
    BN_free(number);
    if (written != static_cast<int>(kP256CoordinateBytes)) {
      return absl::InvalidArgumentError(absl::StrCat("the EC key's ", name, " is too long"));
    }
  }
  return out;
}

absl::Status PublicKeySet::Add(EvpPkeyPtr key, absl::string_view source) {
  absl::StatusOr<std::string> algorithm = JwsAlgorithmOf(key.get(), source);
  if (!algorithm.ok()) return algorithm.status();
  absl::StatusOr<std::string> id = KeyId(key.get());
  if (!id.ok()) return id.status();
  keys_.push_back({std::move(key), *std::move(id), *std::move(algorithm)});
  return absl::OkStatus();
}

absl::StatusOr<PublicKeySet> PublicKeySet::Parse(absl::string_view pem, absl::string_view source) {
  ClearOpenSslErrors();
  absl::StatusOr<BioPtr> bio = MemoryBioFrom(pem);
  if (!bio.ok()) return bio.status();
  PublicKeySet set;
  int blocks = 0;
  while (true) {
    PemBlock block;
    if (PEM_read_bio(bio->get(), &block.name, &block.header, &block.data, &block.length) != 1) {
      ClearOpenSslErrors();  // the end of the text, or trailing garbage
      break;
    }
    ++blocks;
    absl::StatusOr<EvpPkeyPtr> key = KeyOfBlock(block);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": ", key.status().message()));
    }
    if (absl::Status status = set.Add(*std::move(key), source); !status.ok()) return status;
  }
  if (blocks == 0) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": no PEM key or certificate"));
  }
  return set;
}

absl::StatusOr<PublicKeySet> PublicKeySet::Load(const std::vector<std::string>& paths) {
  PublicKeySet all;
  for (const std::string& path : paths) {
    absl::StatusOr<std::string> text = ReadSmallFile(path);
    if (!text.ok()) return text.status();
    absl::StatusOr<PublicKeySet> set = Parse(*text, path);
    if (!set.ok()) return set.status();
    for (Entry& entry : set->keys_) all.keys_.push_back(std::move(entry));
  }
  return all;
}

absl::StatusOr<PublicKeySet> PublicKeySet::FromPrivateKey(const PrivateKey& key) {
  absl::StatusOr<std::string> pem = key.PublicKeyPem();
  if (!pem.ok()) return pem.status();
  return Parse(*pem, "the signing key");
}

absl::Status PublicKeySet::Check(absl::string_view algorithm, absl::string_view data,
                                 absl::string_view signature, absl::string_view key_id) const {
  if (algorithm != kJwsRs256 && algorithm != kJwsEs256) {
    return absl::UnauthenticatedError(
        absl::StrCat("the signing algorithm \"", algorithm, "\" is not supported"));
  }
  int named = 0;
  int of_algorithm = 0;
  absl::string_view named_algorithm;
  for (const Entry& entry : keys_) {
    if (!key_id.empty() && entry.key_id != key_id) continue;
    ++named;
    named_algorithm = entry.algorithm;
    if (entry.algorithm != algorithm) continue;
    ++of_algorithm;
    if (VerifyJws(algorithm, entry.key.get(), data, signature)) return absl::OkStatus();
  }
  if (key_id.empty()) {
    return absl::UnauthenticatedError(of_algorithm == 0
                                          ? absl::StrCat("no trusted key signs ", algorithm)
                                          : "the signature is not one of the trusted keys'");
  }
  if (named == 0) {
    return absl::UnauthenticatedError(
        absl::StrCat("no trusted key has the key id \"", key_id, "\""));
  }
  if (of_algorithm == 0) {
    return absl::UnauthenticatedError(
        absl::StrCat("the key \"", key_id, "\" signs ", named_algorithm, ", not ", algorithm));
  }
  return absl::UnauthenticatedError(
      absl::StrCat("the signature was not made by the key \"", key_id, "\""));
}

std::vector<std::string> PublicKeySet::Algorithms() const {
  std::vector<std::string> out;
  for (const Entry& entry : keys_) {
    if (std::find(out.begin(), out.end(), entry.algorithm) == out.end()) {
      out.push_back(entry.algorithm);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace minik8s::pki
