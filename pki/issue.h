// Creating the cluster CA and issuing certificates it signs.
//
// Profiles (what every certificate gets), following what kubeadm issues:
//   CA:   subject CN=<common_name>; basicConstraints critical CA:TRUE;
//         keyUsage critical digitalSignature, keyCertSign, cRLSign; SKI; AKI
//         (keyid); self-signed; 10 years by default.
//   leaf: subject CN (+ O for each organization); basicConstraints critical
//         CA:FALSE; keyUsage critical digitalSignature (plus keyEncipherment
//         for an RSA subject key); extendedKeyUsage serverAuth and/or
//         clientAuth; subjectAltName with the DNS names and IPs (when any);
//         SKI; AKI = the CA's SKI; 1 year by default.
// Every certificate is X.509 v3 with a random positive 127-bit serial number,
// signed with ECDSA/SHA-256 by a P-256 CA key (SHA-256 with any other CA key),
// and its notBefore is backdated 5 minutes to tolerate clock skew between
// machines.
//
// Thread safety: the functions are reentrant; they only read their arguments.
#ifndef MINIK8S_PKI_ISSUE_H_
#define MINIK8S_PKI_ISSUE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pki/certificate.h"
#include "pki/key.h"

namespace minik8s::pki {

inline constexpr char kDefaultCaCommonName[] = "minik8s-ca";
inline constexpr absl::Duration kDefaultCaValidity = absl::Hours(24 * 3650);   // 10 years
inline constexpr absl::Duration kDefaultCertValidity = absl::Hours(24 * 365);  // 1 year
// How far notBefore lies before the moment of issue.
inline constexpr absl::Duration kNotBeforeBackdate = absl::Minutes(5);

// A CA certificate with its private key.
struct CertificateAuthority {
  Certificate cert;
  PrivateKey key;
};

struct CaOptions {
  std::string common_name = kDefaultCaCommonName;
  absl::Duration validity = kDefaultCaValidity;
};

// A new P-256 key and a self-signed CA certificate for it.
absl::StatusOr<CertificateAuthority> CreateSelfSignedCa(const CaOptions& options = {});

// A self-signed CA certificate for an existing key (to replace a lost or
// expiring CA certificate: certificates issued under the same key and name
// keep verifying).
absl::StatusOr<Certificate> CreateSelfSignedCaCert(const PrivateKey& key,
                                                   const CaOptions& options = {});

// What a leaf certificate says. At least one of server_auth / client_auth.
struct CertificateSpec {
  std::string common_name;                 // required
  std::vector<std::string> organizations;  // O=..., in order (Kubernetes groups)
  std::vector<std::string> dns_names;      // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;   // subjectAltName IP entries (v4 or v6 text)
  bool server_auth = false;                // extendedKeyUsage serverAuth
  bool client_auth = false;                // extendedKeyUsage clientAuth
  absl::Duration validity = kDefaultCertValidity;
  // Start of validity; default: now - kNotBeforeBackdate. (Tests set it to
  // make expired certificates.)
  std::optional<absl::Time> not_before;
};

// A serving certificate spec: serverAuth, the given CN and SANs.
CertificateSpec ServingSpec(std::string common_name, std::vector<std::string> dns_names,
                            std::vector<std::string> ip_addresses);
// A client certificate spec: clientAuth, CN = user name, O = groups.
CertificateSpec ClientSpec(std::string common_name, std::vector<std::string> organizations);

// Issues a certificate for `subject_public_key` (only its public half is
// used; a PrivateKey or a key taken from a CSR both work) signed by `ca`.
// InvalidArgument when the spec is unusable (no CN, no usage, a bad IP,
// an empty DNS name, validity <= 0).
absl::StatusOr<Certificate> IssueCertificate(const CertificateAuthority& ca,
                                             EVP_PKEY* subject_public_key,
                                             const CertificateSpec& spec);
absl::StatusOr<Certificate> IssueCertificate(const CertificateAuthority& ca,
                                             const PrivateKey& subject_key,
                                             const CertificateSpec& spec);

// Convenience: a new P-256 key and a certificate for it.
struct IssuedCert {
  Certificate cert;
  PrivateKey key;
};
absl::StatusOr<IssuedCert> IssueWithNewKey(const CertificateAuthority& ca,
                                           const CertificateSpec& spec);

}  // namespace minik8s::pki

#endif  // MINIK8S_PKI_ISSUE_H_
