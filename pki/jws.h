// The cryptographic half of JSON Web Signatures (RFC 7515) with the two
// algorithms of Kubernetes' ServiceAccount tokens (RFC 7518 section 3):
//
//   RS256  RSASSA-PKCS1-v1_5 with SHA-256 (section 3.3), RSA keys of at
//          least 2048 bits; the signature is the RSA block (256 bytes for
//          2048 bits).
//   ES256  ECDSA on P-256 with SHA-256 (section 3.4); the signature is R
//          then S, each a 32-byte big-endian number, 64 bytes in all: not
//          the DER ECDSA-Sig-Value OpenSSL and X.509 use (a DER signature
//          is refused).
//
// A key's algorithm follows from its type: an RSA key signs and verifies
// RS256 only, a P-256 key ES256 only, as kube-apiserver's
// (pkg/serviceaccount/jwt.go). EC keys on other curves, small RSA keys and
// other key types are refused when they are loaded, with an error naming the
// source and the curve or size. Here: base64url, signing and verifying
// bytes, the key id kube-apiserver puts in a token's header, the public
// numbers a JSON Web Key publishes, and the set of public keys a verifier
// trusts (kube-apiserver's --service-account-key-file). The JSON half
// (header and claims) is the caller's: apiserver/serviceaccount/jwt.h.
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

// The JWS "alg" names.
inline constexpr char kJwsRs256[] = "RS256";
inline constexpr char kJwsEs256[] = "ES256";
// The bytes of an ES256 signature (R || S) and of each P-256 coordinate.
inline constexpr size_t kEs256SignatureBytes = 64;
inline constexpr size_t kP256CoordinateBytes = 32;

// base64url (RFC 4648 section 5) without '=' padding, as JWS writes it.
std::string Base64UrlEncode(absl::string_view data);
// Strict: only the base64url alphabet, no padding, no whitespace, and no
// length that cannot come from the encoder. InvalidArgument otherwise.
absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text);

// kube-apiserver's key id: base64url of the SHA-256 of the public key's DER
// SubjectPublicKeyInfo, for RSA and EC keys alike. An EC key is encoded as
// Go's x509.MarshalPKIXPublicKey encodes it (named curve, uncompressed
// point) whatever form the PEM it came from used, so that a key has one id.
absl::StatusOr<std::string> KeyId(EVP_PKEY* key);

// The JWS algorithm `key` signs and verifies with: kJwsRs256 for an RSA key
// of at least 2048 bits, kJwsEs256 for an EC key on P-256. InvalidArgument
// otherwise, the message opening with `what` and naming the key type, the
// curve or the size.
absl::StatusOr<std::string> JwsAlgorithmOf(EVP_PKEY* key, absl::string_view what = "the key");

// An RSA public key's modulus and public exponent as big-endian bytes
// without leading zeros, as a JSON Web Key's "n" and "e" hold them
// (base64url-encoded; RFC 7518 section 6.3.1). InvalidArgument for a key
// that is not RSA.
struct RsaPublicNumbers {
  std::string modulus;
  std::string exponent;
};
absl::StatusOr<RsaPublicNumbers> RsaNumbers(EVP_PKEY* key);

// A P-256 public key's affine coordinates as a JSON Web Key's "x" and "y"
// hold them (RFC 7518 section 6.2.1): big-endian, left-padded with zeros to
// kP256CoordinateBytes each. InvalidArgument for a key that is not P-256.
struct EcPublicNumbers {
  std::string x;
  std::string y;
};
absl::StatusOr<EcPublicNumbers> EcNumbers(EVP_PKEY* key);

// The RS256 signature of `data` (base64url-encode it for a JWS).
// InvalidArgument when `key` is not an RSA key of at least 2048 bits.
absl::StatusOr<std::string> SignRs256(const PrivateKey& key, absl::string_view data);
// Whether `signature` is `key`'s RS256 signature of `data` (false for a key
// that is not RSA).
bool VerifyRs256(EVP_PKEY* key, absl::string_view data, absl::string_view signature);

// The ES256 signature of `data`: kEs256SignatureBytes, R || S. ECDSA is
// randomized: two signatures of the same data differ. InvalidArgument when
// `key` is not a P-256 key.
absl::StatusOr<std::string> SignEs256(const PrivateKey& key, absl::string_view data);
// Whether `signature` (exactly R || S, kEs256SignatureBytes) is `key`'s
// ES256 signature of `data` (false for a key that is not P-256, and for a
// DER-encoded signature).
bool VerifyEs256(EVP_PKEY* key, absl::string_view data, absl::string_view signature);

// The signature of `data` with `algorithm` (kJwsRs256 or kJwsEs256), which
// must be the key's (JwsAlgorithmOf). InvalidArgument otherwise.
absl::StatusOr<std::string> SignJws(const PrivateKey& key, absl::string_view algorithm,
                                    absl::string_view data);
// Whether `signature` is `key`'s `algorithm` signature of `data`; false when
// `algorithm` is not the key's (an RS256 signature is never checked with an
// EC key, nor the reverse) or is neither RS256 nor ES256.
bool VerifyJws(absl::string_view algorithm, EVP_PKEY* key, absl::string_view data,
               absl::string_view signature);

// Public keys to verify with, each with its key id and algorithm; RSA and
// P-256 keys may be mixed (a cluster that moved from an RSA key to an EC one
// keeps accepting the tokens the RSA key signed while both are listed).
class PublicKeySet {
 public:
  struct Entry {
    EvpPkeyPtr key;
    std::string key_id;     // KeyId
    std::string algorithm;  // JwsAlgorithmOf: kJwsRs256 or kJwsEs256
  };

  // Every PEM block of `pem`: "PUBLIC KEY", "RSA PUBLIC KEY", a private key
  // (its public half) or a "CERTIFICATE" (its key). `source` names the text
  // in errors. InvalidArgument when there is no block, a block does not
  // parse, or a key is neither RSA (2048 bits or more) nor EC on P-256
  // ("<source>: an EC key on curve secp384r1 (P-384): ...").
  static absl::StatusOr<PublicKeySet> Parse(absl::string_view pem, absl::string_view source);
  // Parse of each file, in order, into one set.
  static absl::StatusOr<PublicKeySet> Load(const std::vector<std::string>& paths);
  // The public half of `key` (the signing key), e.g. for tests.
  static absl::StatusOr<PublicKeySet> FromPrivateKey(const PrivateKey& key);

  PublicKeySet(PublicKeySet&&) = default;
  PublicKeySet& operator=(PublicKeySet&&) = default;

  // OK when a key of the set made `signature` over `data` with `algorithm`.
  // A non-empty `key_id` (the token's kid) picks the keys of that id and
  // only them, as kube-apiserver does; an empty one means every key. Only
  // keys of `algorithm`'s type are tried. Unauthenticated otherwise, saying
  // why: no key has that id, the key of that id is of another type than
  // `algorithm`, or the signature is not the key's (not any key's).
  absl::Status Check(absl::string_view algorithm, absl::string_view data,
                     absl::string_view signature, absl::string_view key_id) const;
  bool Verify(absl::string_view algorithm, absl::string_view data, absl::string_view signature,
              absl::string_view key_id) const {
    return Check(algorithm, data, signature, key_id).ok();
  }

  // The distinct algorithms of the keys, sorted ("ES256" before "RS256").
  std::vector<std::string> Algorithms() const;

  size_t size() const { return keys_.size(); }
  const std::vector<Entry>& entries() const { return keys_; }

 private:
  PublicKeySet() = default;
  absl::Status Add(EvpPkeyPtr key, absl::string_view source);

  std::vector<Entry> keys_;
};

}  // namespace minik8s::pki

#endif  // MINIK8S_PKI_JWS_H_
