// The cryptographic half of JSON Web Signatures (RFC 7515) with RS256
// (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 section 3.3), the algorithm of
// Kubernetes' ServiceAccount tokens: base64url without padding, signing and
// verifying bytes, the key id kube-apiserver puts in a token's header, and
// the set of public keys a verifier trusts (kube-apiserver's
// --service-account-key-file). The JSON half (header and claims) is the
// caller's: apiserver/serviceaccount/jwt.h.
//
// Only RSA keys of at least 2048 bits are used; an EC key is refused with an
// error that says so.
//
// Thread safety: pure functions; a PublicKeySet is immutable after Load and
// may be used from several threads.
#ifndef MINIK8S_PKI_JWS_H_
#define MINIK8S_PKI_JWS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pki/key.h"
#include "pki/openssl_util.h"

namespace minik8s::pki {

// base64url (RFC 4648 section 5) without '=' padding, as JWS writes it.
std::string Base64UrlEncode(absl::string_view data);
// Strict: only the base64url alphabet, no padding, no whitespace, and no
// length that cannot come from the encoder. InvalidArgument otherwise.
absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text);

// kube-apiserver's key id: base64url of the SHA-256 of the public key's DER
// SubjectPublicKeyInfo.
absl::StatusOr<std::string> KeyId(EVP_PKEY* key);

// An RSA public key's modulus and public exponent as big-endian bytes
// without leading zeros, as a JSON Web Key's "n" and "e" hold them
// (base64url-encoded; RFC 7518 section 6.3.1). InvalidArgument for a key
// that is not RSA.
struct RsaPublicNumbers {
  std::string modulus;
  std::string exponent;
};
absl::StatusOr<RsaPublicNumbers> RsaNumbers(EVP_PKEY* key);

// The RS256 signature of `data` (base64url-encode it for a JWS).
// InvalidArgument when `key` is not an RSA key of at least 2048 bits.
absl::StatusOr<std::string> SignRs256(const PrivateKey& key, absl::string_view data);

// Whether `signature` is `key`'s RS256 signature of `data`.
bool VerifyRs256(EVP_PKEY* key, absl::string_view data, absl::string_view signature);

// Public RSA keys to verify with, each with its key id.
class PublicKeySet {
 public:
  struct Entry {
    EvpPkeyPtr key;
    std::string key_id;
  };

  // Every PEM block of `pem`: "PUBLIC KEY", "RSA PUBLIC KEY", a private key
  // (its public half) or a "CERTIFICATE" (its key). `source` names the text
  // in errors. InvalidArgument when there is no block, a block does not
  // parse, or a key is not RSA.
  static absl::StatusOr<PublicKeySet> Parse(absl::string_view pem, absl::string_view source);
  // Parse of each file, in order, into one set.
  static absl::StatusOr<PublicKeySet> Load(const std::vector<std::string>& paths);
  // The public half of `key` (the signing key), e.g. for tests.
  static absl::StatusOr<PublicKeySet> FromPrivateKey(const PrivateKey& key);

  PublicKeySet(PublicKeySet&&) = default;
  PublicKeySet& operator=(PublicKeySet&&) = default;

  // Whether one of the keys signed `data` with `signature`. `key_id`, when
  // not empty, picks which key is tried first; the others are tried too, as
  // kube-apiserver does (a key id is a hint, not a check).
  bool Verify(absl::string_view data, absl::string_view signature,
              absl::string_view key_id = "") const;

  size_t size() const { return keys_.size(); }
  const std::vector<Entry>& entries() const { return keys_; }

 private:
  PublicKeySet() = default;
  absl::Status Add(EvpPkeyPtr key, absl::string_view source);

  std::vector<Entry> keys_;
};

}  // namespace minik8s::pki

#endif  // MINIK8S_PKI_JWS_H_
