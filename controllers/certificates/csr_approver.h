// The csrapproving controller's decision (Kubernetes'
// pkg/controller/certificates/approver sarApprover): auto-approves a
// kubelet's client certificate request (and a node proxy's, below) when its
// requester may ask for one.
//
// A CSR is considered when it has no certificate, is neither Approved nor
// Denied, is for signer kubernetes.io/kube-apiserver-client-kubelet and its
// request is a node client request (ValidateKubeletClientCsr: CN
// system:node:<name>, O exactly [system:nodes], no subjectAltNames, usages
// {digital signature, client auth} plus optionally key encipherment).
// Then, in order:
//   selfnodeclient  (only when spec.username equals the CN: a node renewing
//                   its own certificate)
//   nodeclient      (any requester, e.g. a bootstrap token)
// minik8s also recognizes a node's service proxy asking for its client
// certificate: signer kubernetes.io/kube-apiserver-client, CN exactly
// system:kube-proxy (the user Kubernetes' bootstrap policy binds to
// system:node-proxier), no O, no subjectAltNames, the signer's usages.
// Its one permission is the subresource
//   kubeproxyclient (a minik8s name; `minik8s up` grants it to the group of
//                   its join tokens, so `minik8s join` gets the certificate
//                   for its proxy as k3s agents get theirs with the node
//                   token)
// For each recognized permission,
// a SubjectAccessReview asks whether spec.username (with spec.groups,
// spec.uid) may `create` certificates.k8s.io certificatesigningrequests/
// <subresource>; the first allowed one adds the condition Approved (status
// True, reason AutoApproved, Kubernetes' message) through the approval
// subresource. When none is allowed the CSR stays Pending and Handle
// returns an IgnorableError (certificate_controller.h: retried later, as
// Kubernetes does). Anything else is left alone: this controller never denies.
//
// Thread safety: Handle is safe from any thread (the client must be).
#ifndef MINIK8S_CONTROLLERS_CERTIFICATES_CSR_APPROVER_H_
#define MINIK8S_CONTROLLERS_CERTIFICATES_CSR_APPROVER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "controllers/certificates/csr_client.h"
#include "k8s/certificates/v1/certificates.pb.h"

namespace minik8s::controllers {

inline constexpr char kAutoApprovedReason[] = "AutoApproved";
inline constexpr char kNodeClientMessage[] =
    "Auto approving kubelet client certificate after SubjectAccessReview.";
inline constexpr char kKubeProxyUser[] = "system:kube-proxy";
inline constexpr char kKubeProxyClientSubresource[] = "kubeproxyclient";
inline constexpr char kKubeProxyClientMessage[] =
    "Auto approving kube-proxy client certificate after SubjectAccessReview.";
inline constexpr char kSelfNodeClientMessage[] =
    "Auto approving self kubelet client certificate after SubjectAccessReview.";

// A permission that approves a recognized CSR: the subresource of
// certificatesigningrequests to check `create` on, and the condition's
// message.
struct CsrApprovalPermission {
  std::string subresource;  // "selfnodeclient", "nodeclient" or "kubeproxyclient"
  std::string message;
};

// The permissions to try for `csr`, in order; empty when it is neither a
// node client nor a kube-proxy client CSR (another signer, an unparsable
// request, a broken rule).
std::vector<CsrApprovalPermission> RecognizeCsr(
    const minik8s::certificates::v1::CertificateSigningRequest& csr);

class CsrApprover {
 public:
  explicit CsrApprover(CsrClient* client) : client_(client) {}

  absl::Status Handle(const minik8s::certificates::v1::CertificateSigningRequest& csr);

 private:
  CsrClient* const client_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_CERTIFICATES_CSR_APPROVER_H_
