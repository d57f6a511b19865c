// PKCS#10 certificate signing requests (PEM "CERTIFICATE REQUEST"), for a
// node that joins with a bootstrap token: it makes a key and a CSR, the
// control plane checks the CSR's identity and signs it with the cluster CA
// (Kubernetes' CertificateSigningRequest flow, as `kubeadm join` uses it).
//
// Thread safety: the functions are reentrant.
#ifndef MINIK8S_PKI_CSR_H_
#define MINIK8S_PKI_CSR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pki/certificate.h"
#include "pki/issue.h"
#include "pki/key.h"

namespace minik8s::pki {

// A CSR larger than this is refused before it is parsed.
inline constexpr size_t kMaxCsrPemBytes = 64 * 1024;

// The identity a CSR asks for.
struct CsrRequest {
  std::string common_name;                 // the user name, e.g. "system:node:node-1"
  std::vector<std::string> organizations;  // the groups, e.g. {"system:nodes"}
  std::vector<std::string> dns_names;      // subjectAltName DNS entries (serving certs)
  std::vector<std::string> ip_addresses;   // subjectAltName IP entries (canonical text)
};

// A PEM CSR for `key` asking for `request`, signed by `key` (SHA-256).
// InvalidArgument when the CN is empty or a SAN is malformed.
absl::StatusOr<std::string> CreateCsr(const PrivateKey& key, const CsrRequest& request);

// Parses a PEM CSR and checks its signature (proof that the requester holds
// the key). Refuses, with InvalidArgument: input over kMaxCsrPemBytes, bad
// PEM, a bad signature, no CN or more than one CN, and subjectAltName entries
// other than DNS and IP (so that nothing is silently dropped when signing).
absl::StatusOr<CsrRequest> ParseCsr(absl::string_view csr_pem);

// What the signer grants; the requester does not choose usages or lifetime.
struct CsrSigningOptions {
  bool server_auth = false;
  bool client_auth = true;
  absl::Duration validity = kDefaultCertValidity;
};

// Signs a CSR with `ca` after ParseCsr's checks. The certificate gets the
// CSR's public key, CN, O and DNS/IP SANs (other subject fields are not
// copied), the usages and validity from `options`, and the leaf profile
// described in issue.h. Deciding whether the identity may be granted (e.g. a
// bootstrap token may ask only for CN=system:node:<name>, O=system:nodes) is
// the caller's job: inspect ParseCsr's result first.
absl::StatusOr<Certificate> SignCsr(const CertificateAuthority& ca, absl::string_view csr_pem,
                                    const CsrSigningOptions& options = {});

}  // namespace minik8s::pki

#endif  // MINIK8S_PKI_CSR_H_
