// The csrsigning controller's decision (Kubernetes'
// pkg/controller/certificates/signer, its three kubernetes.io signers in
// one): signs approved CertificateSigningRequests with the cluster CA
// (kube-controller-manager's --cluster-signing-cert-file /
// --cluster-signing-key-file).
//
// A CSR is considered when it has no certificate, is Approved and not
// Denied, has no Failed condition, and its spec.signerName is one of
//   kubernetes.io/kube-apiserver-client-kubelet  ValidateKubeletClientCsr
//   kubernetes.io/kube-apiserver-client          ValidateApiServerClientUsages
//   kubernetes.io/kubelet-serving                ValidateKubeletServingCsr
// (csr_util.h). A request that breaks its signer's rules, or that cannot be
// parsed (pki::ParseCsr: a bad signature, not exactly one CN, a
// subjectAltName other than DNS and IP), gets the condition Failed (status
// True, reason SignerValidationFailure, the rule's message) through the
// status subresource and is never signed. Otherwise the certificate (the
// request's public key, CN, O and DNS/IP SANs; extendedKeyUsage serverAuth
// and/or clientAuth as the usages ask; the leaf profile of pki/issue.h) is
// written to status.certificate through the status subresource.
//
// Lifetime, as Kubernetes': `duration` (--cluster-signing-duration,
// default 8760h), or spec.expirationSeconds when shorter (at least 10
// minutes); notBefore is 5 minutes back; a certificate of 8 hours or more
// ends 5 minutes early (so that its whole span is the asked duration), and
// none outlives the CA.
//
// Thread safety: Handle is safe from any thread (the client must be).
#ifndef MINIK8S_CONTROLLERS_CERTIFICATES_CSR_SIGNER_H_
#define MINIK8S_CONTROLLERS_CERTIFICATES_CSR_SIGNER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controllers/certificates/csr_client.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "pki/issue.h"

namespace minik8s::controllers {

inline constexpr char kSignerValidationFailureReason[] = "SignerValidationFailure";
inline constexpr absl::Duration kDefaultClusterSigningDuration = absl::Hours(8760);
// The shortest lifetime spec.expirationSeconds may ask for.
inline constexpr absl::Duration kMinCertificateDuration = absl::Minutes(10);

// The lifetime for a request asking `expiration_seconds` (nullopt: did not
// ask) when the signer issues at most `max` (Kubernetes' signer.duration).
absl::Duration CertificateDuration(std::optional<int32_t> expiration_seconds, absl::Duration max);

// Whether this signer serves `signer_name`.
bool IsBuiltInSigner(absl::string_view signer_name);

// The rules of the CSR's (built-in) signer on its request: OK, or
// InvalidArgument with the message of the Failed condition.
absl::Status CheckSignerRules(const minik8s::certificates::v1::CertificateSigningRequest& csr);

class CsrSigner {
 public:
  // Loads the CA from PEM files; InvalidArgument when they do not load, the
  // key does not match the certificate or it is not a CA.
  static absl::StatusOr<std::unique_ptr<CsrSigner>> FromFiles(
      const std::string& cert_file, const std::string& key_file, CsrClient* client,
      absl::Duration duration = kDefaultClusterSigningDuration);

  CsrSigner(pki::CertificateAuthority ca, CsrClient* client,
            absl::Duration duration = kDefaultClusterSigningDuration)
      : ca_(std::move(ca)), client_(client), duration_(duration) {}

  absl::Status Handle(const minik8s::certificates::v1::CertificateSigningRequest& csr);

  // The PEM certificate for a CSR that passed CheckSignerRules (no write).
  absl::StatusOr<std::string> Sign(
      const minik8s::certificates::v1::CertificateSigningRequest& csr) const;

  const pki::CertificateAuthority& ca() const { return ca_; }

 private:
  const pki::CertificateAuthority ca_;
  CsrClient* const client_;
  const absl::Duration duration_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_CERTIFICATES_CSR_SIGNER_H_
