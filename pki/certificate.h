// X.509 certificates: parsing, encoding, inspection and chain verification.
//
// Thread safety: a Certificate is immutable after construction; const methods
// may be called from several threads.
#ifndef MINIK8S_PKI_CERTIFICATE_H_
#define MINIK8S_PKI_CERTIFICATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pki/key.h"
#include "pki/openssl_util.h"

namespace minik8s::pki {

class Certificate {
 public:
  // Parses the first PEM "CERTIFICATE" block of `pem`. InvalidArgument on bad input.
  static absl::StatusOr<Certificate> FromPem(absl::string_view pem);

  // Takes ownership of `x509`.
  explicit Certificate(X509Ptr x509) : x509_(std::move(x509)) {}

  Certificate(Certificate&&) = default;
  Certificate& operator=(Certificate&&) = default;

  // Another owner of the same certificate (OpenSSL reference count).
  Certificate Clone() const;

  absl::StatusOr<std::string> ToPem() const;
  absl::StatusOr<std::string> ToDer() const;

  // Subject fields: the first CN (empty if none) and every O, in order.
  std::string CommonName() const;
  std::vector<std::string> Organizations() const;
  // The issuer's first CN.
  std::string IssuerCommonName() const;

  // subjectAltName entries: DNS names as written, IP addresses in canonical
  // text form ("10.0.0.1", "::1"). Empty when the extension is absent.
  std::vector<std::string> DnsNames() const;
  std::vector<std::string> IpAddresses() const;

  // basicConstraints CA:TRUE.
  bool IsCa() const;
  // extendedKeyUsage contains serverAuth / clientAuth.
  bool HasServerAuth() const;
  bool HasClientAuth() const;

  absl::Time NotBefore() const;
  absl::Time NotAfter() const;

  // The serial number in upper-case hex.
  std::string SerialHex() const;

  // True when `key` is the private half of this certificate's public key.
  bool MatchesKey(const PrivateKey& key) const;

  // Verifies, with OpenSSL's X509_verify_cert, that this certificate chains to
  // `ca` (trusted as the only root) and is valid at the current time.
  // FailedPrecondition with OpenSSL's reason ("certificate has expired",
  // "unable to get local issuer certificate", ...) otherwise.
  absl::Status VerifySignedBy(const Certificate& ca) const;

  // Borrowed; valid as long as this Certificate.
  X509* get() const { return x509_.get(); }

 private:
  X509Ptr x509_;
};

// Parses a textual IPv4 or IPv6 address into its canonical text form
// ("0:0::1" -> "::1"). InvalidArgument when `ip` is not an address.
absl::StatusOr<std::string> CanonicalIp(absl::string_view ip);

}  // namespace minik8s::pki

#endif  // MINIK8S_PKI_CERTIFICATE_H_
