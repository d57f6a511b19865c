// Private keys for the cluster PKI.
//
// Every key the library generates for certificates is ECDSA on NIST P-256
// (prime256v1, "secp256r1"), signed with SHA-256: fast to generate, accepted
// by gRPC, Go's crypto/tls (kubectl, etcd) and Python's ssl. A new
// cluster's ServiceAccount token key (sa.key) is one too (ES256 tokens);
// GenerateRsa makes the RSA keys that sign RS256. Loading accepts any key
// type OpenSSL reads from an unencrypted PEM (PKCS#8 "PRIVATE KEY", "EC
// PRIVATE KEY", "RSA PRIVATE KEY"), so a user-supplied RSA key still works.
//
// Thread safety: a PrivateKey is immutable after construction; const methods
// may be called from several threads.
#ifndef MINIK8S_PKI_KEY_H_
#define MINIK8S_PKI_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pki/openssl_util.h"

namespace minik8s::pki {

class PrivateKey {
 public:
  // A new ECDSA P-256 key from OpenSSL's CSPRNG.
  static absl::StatusOr<PrivateKey> Generate();
  // A new RSA key of `bits` bits (at least 2048), e=65537, as kubeadm makes
  // sa.key: it signs RS256 tokens (pki/jws.h). Clusters made before ES256
  // have one.
  static absl::StatusOr<PrivateKey> GenerateRsa(int bits = 2048);

  // Parses one unencrypted PEM private key. An encrypted key is refused (the
  // library never prompts for a passphrase). InvalidArgument on bad input.
  static absl::StatusOr<PrivateKey> FromPem(absl::string_view pem);

  // Takes ownership of `pkey`, which must hold a private key.
  explicit PrivateKey(EvpPkeyPtr pkey) : pkey_(std::move(pkey)) {}

  PrivateKey(PrivateKey&&) = default;
  PrivateKey& operator=(PrivateKey&&) = default;

  // PKCS#8, unencrypted ("-----BEGIN PRIVATE KEY-----").
  absl::StatusOr<std::string> ToPem() const;

  // The public half as PEM ("-----BEGIN PUBLIC KEY-----", SubjectPublicKeyInfo).
  absl::StatusOr<std::string> PublicKeyPem() const;

  // Borrowed; valid as long as this PrivateKey.
  EVP_PKEY* get() const { return pkey_.get(); }

 private:
  EvpPkeyPtr pkey_;
};

}  // namespace minik8s::pki

#endif  // MINIK8S_PKI_KEY_H_
