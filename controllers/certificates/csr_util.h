// What the certificate controllers (csrapproving, csrsigning) share about a
// certificates.k8s.io/v1 CertificateSigningRequest: its conditions, the
// built-in signer names, and the rules Kubernetes applies to a request for
// each built-in signer (k8s.io/kubernetes pkg/apis/certificates helpers:
// ValidateKubeletClientCSR, ValidateKubeletServingCSR and the
// kube-apiserver-client usages).
//
// Thread safety: pure functions.
#ifndef MINIK8S_CONTROLLERS_CERTIFICATES_CSR_UTIL_H_
#define MINIK8S_CONTROLLERS_CERTIFICATES_CSR_UTIL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "pki/csr.h"

namespace minik8s::controllers {

inline constexpr char kKubeApiServerClientSignerName[] = "kubernetes.io/kube-apiserver-client";
inline constexpr char kKubeApiServerClientKubeletSignerName[] =
    "kubernetes.io/kube-apiserver-client-kubelet";
inline constexpr char kKubeletServingSignerName[] = "kubernetes.io/kubelet-serving";

inline constexpr char kCsrApproved[] = "Approved";
inline constexpr char kCsrDenied[] = "Denied";
inline constexpr char kCsrFailed[] = "Failed";

// The key usages of the certificates API (spec.usages) the rules name.
inline constexpr char kUsageDigitalSignature[] = "digital signature";
inline constexpr char kUsageKeyEncipherment[] = "key encipherment";
inline constexpr char kUsageClientAuth[] = "client auth";
inline constexpr char kUsageServerAuth[] = "server auth";

// The prefix of a node's user name (and of its certificates' CN).
inline constexpr char kNodeUserPrefix[] = "system:node:";
inline constexpr char kNodesGroup[] = "system:nodes";

// A condition of `type` with status "True" (Kubernetes' HasTrueCondition;
// an empty status counts as True, as for conditions written before status
// was required).
bool HasTrueCondition(const minik8s::certificates::v1::CertificateSigningRequest& csr,
                      absl::string_view type);
// Approved and not Denied (Kubernetes' IsCertificateRequestApproved).
bool IsCsrApproved(const minik8s::certificates::v1::CertificateSigningRequest& csr);

// The request for kubernetes.io/kube-apiserver-client-kubelet: O exactly
// [system:nodes], no subjectAltNames, CN system:node:<name>, usages exactly
// {digital signature, client auth} or {digital signature, key encipherment,
// client auth} (as a set). InvalidArgument with Kubernetes' message
// otherwise.
absl::Status ValidateKubeletClientCsr(const pki::CsrRequest& request,
                                      const std::vector<std::string>& usages);
// The request for kubernetes.io/kubelet-serving: O exactly [system:nodes], at
// least one DNS or IP subjectAltName, usages exactly {digital signature,
// server auth} or {digital signature, key encipherment, server auth}, CN
// system:node:<name>.
absl::Status ValidateKubeletServingCsr(const pki::CsrRequest& request,
                                       const std::vector<std::string>& usages);
// The usages for kubernetes.io/kube-apiserver-client: client auth, and
// optionally digital signature and key encipherment; nothing else.
absl::Status ValidateApiServerClientUsages(const std::vector<std::string>& usages);

// `usages` as a set equals `want`.
bool UsagesEqual(const std::vector<std::string>& usages, std::vector<std::string> want);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_CERTIFICATES_CSR_UTIL_H_
