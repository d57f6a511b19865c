// The checks the apiserver makes on the PEM data of a CertificateSigningRequest
// (certificates.k8s.io/v1), with the semantics and messages of Kubernetes'
// validation, which reads PEM as Go's encoding/pem does:
//   - spec.request: the first PEM block must be a "CERTIFICATE REQUEST"
//     whose PKCS#10 structure parses and whose signature verifies with its
//     own public key. Nothing else is checked (any subject, any extension).
//   - status.certificate: one or more PEM blocks, every one a "CERTIFICATE"
//     without headers holding a DER certificate; text around the blocks is
//     allowed.
//
// Thread safety: the functions are reentrant.
#ifndef MINIK8S_PKI_PEM_CHECK_H_
#define MINIK8S_PKI_PEM_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minik8s::pki {

// One PEM block as Go's pem.Decode finds it.
struct PemBlock {
  std::string type;
  bool has_headers = false;
  std::string bytes;  // the decoded body
};

// The blocks of `data` in order; text before, between and after them is
// skipped, as is a block whose body is not base64 or whose END line does
// not match (Go skips to the next BEGIN line).
std::vector<PemBlock> DecodePemBlocks(absl::string_view data);

// InvalidArgument with Kubernetes' message (`PEM block type must be
// CERTIFICATE REQUEST`, `x509: ECDSA verification failure`, ...).
absl::Status CheckCertificateRequestPem(absl::string_view data);

// The subject organizations (O) of the first PEM block of `data`, a
// "CERTIFICATE REQUEST" (CheckCertificateRequestPem's parse, without the
// signature check); InvalidArgument with its message otherwise.
absl::StatusOr<std::vector<std::string>> CertificateRequestOrganizations(absl::string_view data);

// What `kubectl describe csr` shows of a request: its subject and
// subjectAltNames (IP addresses in text form).
struct CertificateRequestInfo {
  std::string common_name;
  std::string serial_number;
  std::vector<std::string> organizations, organizational_units, countries, localities, provinces,
      street_addresses, postal_codes;
  std::vector<std::string> dns_names, email_addresses, ip_addresses, uris;
};

// The first block of `data` as a "CERTIFICATE REQUEST"; InvalidArgument
// with CheckCertificateRequestPem's messages otherwise (the signature is
// not checked).
absl::StatusOr<CertificateRequestInfo> DescribeCertificateRequest(absl::string_view data);

// InvalidArgument with Kubernetes' message (`must contain at least one
// CERTIFICATE PEM block`, `only CERTIFICATE PEM blocks are allowed, found
// "X"`, `no PEM block headers are permitted`, ...). OK for empty data.
absl::Status CheckCertificatePem(absl::string_view data);

}  // namespace minik8s::pki

#endif  // MINIK8S_PKI_PEM_CHECK_H_
