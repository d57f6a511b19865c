#include "pki/jws.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

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

absl::Status CheckRsa(EVP_PKEY* key, absl::string_view what) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not an RSA key (ServiceAccount tokens are RS256: RSA keys only)"));
  }
  if (EVP_PKEY_get_bits(key) < kMinRsaBits) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": an RSA key of ", EVP_PKEY_get_bits(key),
                                                   " bits (at least ", kMinRsaBits,
                                                   " are needed)"));
  }
  return absl::OkStatus();
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
  ClearOpenSslErrors();
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  if (length <= 0) return OpenSslError(absl::StatusCode::kInternal, "encoding a public key");
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(length), digest);
  OPENSSL_free(der);
  return Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<std::string> SignRs256(const PrivateKey& key, absl::string_view data) {
  if (absl::Status status = CheckRsa(key.get(), "the signing key"); !status.ok()) return status;
  ClearOpenSslErrors();
  std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError(absl::StatusCode::kInternal, "EVP_MD_CTX_new");
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
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

bool VerifyRs256(EVP_PKEY* key, absl::string_view data, absl::string_view signature) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return false;
  std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>> ctx(EVP_MD_CTX_new());
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

absl::Status PublicKeySet::Add(EvpPkeyPtr key, absl::string_view source) {
  if (absl::Status status = CheckRsa(key.get(), source); !status.ok()) return status;
  absl::StatusOr<std::string> id = KeyId(key.get());
  if (!id.ok()) return id.status();
  keys_.push_back({std::move(key), *std::move(id)});
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

absl::StatusOr<RsaPublicNumbers> RsaNumbers(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError("not an RSA key");
  }
  RsaPublicNumbers out;
  for (auto [name, bytes] : {std::pair{OSSL_PKEY_PARAM_RSA_N, &out.modulus},
                             std::pair{OSSL_PKEY_PARAM_RSA_E, &out.exponent}}) {
    BIGNUM* number = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &number) != 1 || number == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("cannot read the RSA key's ", name));
    }
    bytes->resize(static_cast<size_t>(BN_num_bytes(number)));
    BN_bn2bin(number, reinterpret_cast<unsigned char*>(bytes->data()));
    BN_free(number);
  }
  return out;
}

bool PublicKeySet::Verify(absl::string_view data, absl::string_view signature,
                          absl::string_view key_id) const {
  if (!key_id.empty()) {
    for (const Entry& entry : keys_) {
      if (entry.key_id == key_id && VerifyRs256(entry.key.get(), data, signature)) return true;
    }
  }
  for (const Entry& entry : keys_) {
    if (entry.key_id != key_id && VerifyRs256(entry.key.get(), data, signature)) return true;
  }
  return false;
}

}  // namespace minik8s::pki
