// JSON Web Tokens in compact form (RFC 7519), signed RS256 or ES256, as
// kube-apiserver writes ServiceAccount tokens:
//
//   base64url({"alg":ALG,"kid":"<key id>"}) "." base64url(<claims>) "."
//   base64url(<ALG signature of the first two parts>)
//
// ALG follows from the signing key (pki/jws.h): "RS256" (RSASSA-PKCS1-v1_5
// with SHA-256) for an RSA key, "ES256" (ECDSA P-256 with SHA-256, the
// signature R || S, 64 bytes) for a P-256 key. A P-256 key signs about ten
// times faster than an RSA-2048 one, which counts when every pod gets a
// token (bench/apiserver/README.md, "sa_token_bench").
//
// The claims are a v1::JwtClaims (proto/apiserver/v1/jwt.proto) written and
// read as JSON by the codec (api/codec.h). This layer checks only form and
// signature; what the claims must say (issuer, times, audience, the
// ServiceAccount) is token.h's.
//
// Thread safety: a JwtSigner is immutable after Create and may sign from
// several threads; VerifyJwt is pure.
#ifndef MINIK8S_APISERVER_SERVICEACCOUNT_JWT_H_
#define MINIK8S_APISERVER_SERVICEACCOUNT_JWT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apiserver/v1/jwt.pb.h"
#include "pki/jws.h"
#include "pki/key.h"

namespace minik8s::apiserver::serviceaccount {

// The longest token read (kube-apiserver's are about 1 KiB); longer ones
// are refused before anything is decoded.
inline constexpr size_t kMaxTokenBytes = 16 * 1024;
inline constexpr char kAlgorithmRs256[] = "RS256";  // pki::kJwsRs256
inline constexpr char kAlgorithmEs256[] = "ES256";  // pki::kJwsEs256

class JwtSigner {
 public:
  // InvalidArgument when `key` is neither an RSA key of at least 2048 bits
  // nor an EC key on P-256 (the message names the type, size or curve).
  static absl::StatusOr<JwtSigner> Create(pki::PrivateKey key);
  // The key in a PEM file (--service-account-signing-key-file); errors
  // name the file.
  static absl::StatusOr<JwtSigner> Load(const std::string& path);

  JwtSigner(JwtSigner&&) = default;
  JwtSigner& operator=(JwtSigner&&) = default;

  // The compact token for `claims`.
  absl::StatusOr<std::string> Sign(const v1::JwtClaims& claims) const;

  // The header's kid: pki::KeyId of the public key.
  const std::string& key_id() const { return key_id_; }
  // The header's alg: kAlgorithmRs256 or kAlgorithmEs256, the key's.
  const std::string& algorithm() const { return algorithm_; }
  const pki::PrivateKey& key() const { return key_; }

 private:
  JwtSigner(pki::PrivateKey key, std::string key_id, std::string algorithm)
      : key_(std::move(key)), key_id_(std::move(key_id)), algorithm_(std::move(algorithm)) {}

  pki::PrivateKey key_;
  std::string key_id_;
  std::string algorithm_;
};

// Three non-empty dot-separated parts of base64url characters, at most
// kMaxTokenBytes: worth verifying (other bearer tokens are not).
bool LooksLikeJwt(absl::string_view token);

// The claims of `token` once its form, header and signature check out: the
// header's alg is RS256 or ES256 ("none", HS256 and the others are
// refused), and the signature is that of the key the header's kid names
// (pki::PublicKeySet::Check; every key when the token has no kid), which
// must be a key of the alg's type (an RS256 token is never checked against
// an EC key, nor an ES256 one against an RSA key). InvalidArgument for a
// malformed token (its parts, base64url, JSON, an unsupported alg, an ES256
// signature that is not 64 bytes, e.g. DER), Unauthenticated for a
// signature the keys did not make. Unknown header fields and claims are
// ignored; `aud` may be a string or an array.
absl::StatusOr<v1::JwtClaims> VerifyJwt(const pki::PublicKeySet& keys, absl::string_view token);

}  // namespace minik8s::apiserver::serviceaccount

#endif  // MINIK8S_APISERVER_SERVICEACCOUNT_JWT_H_
