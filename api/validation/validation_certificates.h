// Validation of certificates.k8s.io/v1 CertificateSigningRequests, with
// Kubernetes' rules and messages (pkg/apis/certificates/validation):
//   - spec.request: the first PEM block is a "CERTIFICATE REQUEST" that
//     parses and whose signature verifies (pki/pem_check.h);
//   - spec.usages: required, each one of Kubernetes' key usages, no
//     duplicates;
//   - spec.signerName: required, a qualified name `<domain>/<path>`
//     (Kubernetes' ValidateSignerName); the legacy-unknown signer is refused;
//   - spec.expirationSeconds: at least 600 when set;
//   - status.conditions: a type, a status (only True for Approved, Denied
//     and Failed), Approved and Denied not both, no type twice;
//   - status.certificate: PEM CERTIFICATE blocks (pki/pem_check.h).
// On update, conditions of type Approved, Denied and Failed are never
// removed; Approved and Denied are added or changed only through the
// approval subresource, status.certificate is set only through status and
// never changed once set. Data already stored that breaks a rule added later
// (Kubernetes' compatibility exceptions) is tolerated on update as
// Kubernetes tolerates it.
//
// Spec immutability is the server's: every update keeps the stored spec
// (apiserver strategy), as Kubernetes' registry does.
//
// Thread safety: pure functions.
#ifndef MINIK8S_API_VALIDATION_VALIDATION_CERTIFICATES_H_
#define MINIK8S_API_VALIDATION_VALIDATION_CERTIFICATES_H_

#include <string>
#include <vector>

#include "api/validation/field_error.h"
#include "k8s/certificates/v1/certificates.pb.h"

namespace minik8s::validation {

// Kubernetes' well-known signers and condition types.
inline constexpr char kKubeAPIServerClientSignerName[] = "kubernetes.io/kube-apiserver-client";
inline constexpr char kKubeAPIServerClientKubeletSignerName[] =
    "kubernetes.io/kube-apiserver-client-kubelet";
inline constexpr char kKubeletServingSignerName[] = "kubernetes.io/kubelet-serving";
inline constexpr char kLegacyUnknownSignerName[] = "kubernetes.io/legacy-unknown";
inline constexpr char kCertificateApproved[] = "Approved";
inline constexpr char kCertificateDenied[] = "Denied";
inline constexpr char kCertificateFailed[] = "Failed";

// The key usages a request may ask for, sorted.
const std::vector<std::string>& ValidKeyUsages();

// Kubernetes' ValidateSignerName: `<domain>/<path>`, the domain DNS-1123
// labels with at least one dot, the path DNS-1123 subdomains.
FieldErrors ValidateSignerName(const FieldPath& path, const std::string& signer_name);

// %#v of a Go []byte: []byte{0x2d, 0x2d} ("[]byte(nil)" when empty).
std::string PrintBytes(const std::string& bytes);

// Create.
FieldErrors ValidateCertificateSigningRequest(
    const minik8s::certificates::v1::CertificateSigningRequest& csr);
// An update of the object itself: neither approval conditions nor the
// certificate change.
FieldErrors ValidateCertificateSigningRequestUpdate(
    const minik8s::certificates::v1::CertificateSigningRequest& csr,
    const minik8s::certificates::v1::CertificateSigningRequest& old);
// Through "status": the certificate may be set once.
FieldErrors ValidateCertificateSigningRequestStatusUpdate(
    const minik8s::certificates::v1::CertificateSigningRequest& csr,
    const minik8s::certificates::v1::CertificateSigningRequest& old);
// Through "approval": Approved and Denied conditions may be added.
FieldErrors ValidateCertificateSigningRequestApprovalUpdate(
    const minik8s::certificates::v1::CertificateSigningRequest& csr,
    const minik8s::certificates::v1::CertificateSigningRequest& old);

}  // namespace minik8s::validation

#endif  // MINIK8S_API_VALIDATION_VALIDATION_CERTIFICATES_H_
