// JSON Web Tokens in compact form (RFC 7519), signed RS256, as
// kube-apiserver writes ServiceAccount tokens:
//
//   base64url({"alg":"RS256","kid":"<key id>"}) "." base64url(<claims>) "."
//   base64url(RSASSA-PKCS1-v1_5-SHA256(<the first two parts>))
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
inline constexpr char kAlgorithmRs256[] = "RS256";

class JwtSigner {
 public:
  // InvalidArgument when `key` is not an RSA key of at least 2048 bits.
  static absl::StatusOr<JwtSigner> Create(pki::PrivateKey key);
  // The key in a PEM file (--service-account-signing-key-file).
  static absl::StatusOr<JwtSigner> Load(const std::string& path);

  JwtSigner(JwtSigner&&) = default;
  JwtSigner& operator=(JwtSigner&&) = default;

  // The compact token for `claims`.
  absl::StatusOr<std::string> Sign(const v1::JwtClaims& claims) const;

  // The header's kid: pki::KeyId of the public key.
  const std::string& key_id() const { return key_id_; }
  const pki::PrivateKey& key() const { return key_; }

 private:
  JwtSigner(pki::PrivateKey key, std::string key_id)
      : key_(std::move(key)), key_id_(std::move(key_id)) {}

  pki::PrivateKey key_;
  std::string key_id_;
};

// Three non-empty dot-separated parts of base64url characters, at most
// kMaxTokenBytes: worth verifying (other bearer tokens are not).
bool LooksLikeJwt(absl::string_view token);

// The claims of `token` once its form, header (alg RS256) and signature (by
// one of `keys`) check out. InvalidArgument for a malformed token (its
// parts, base64url, JSON, an unsupported alg), Unauthenticated for a
// signature none of the keys made. Unknown header fields and claims are
// ignored; `aud` may be a string or an array.
absl::StatusOr<v1::JwtClaims> VerifyJwt(const pki::PublicKeySet& keys, absl::string_view token);

}  // namespace minik8s::apiserver::serviceaccount

#endif  // MINIK8S_APISERVER_SERVICEACCOUNT_JWT_H_
