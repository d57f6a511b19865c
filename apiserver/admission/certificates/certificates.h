// The admission plugins of CertificateSigningRequests (Kubernetes'
// plugin/pkg/admission/certificates), on by default as in kube-apiserver:
//
//   CertificateApproval: an update through certificatesigningrequests/
//     approval needs, besides `update` on that subresource, the verb
//     `approve` on the resource `signers` of certificates.k8s.io named after
//     the request's signerName, or `<domain>/*` (kubernetes.io/* for
//     kubernetes.io/kube-apiserver-client-kubelet). Refused:
//     `certificatesigningrequests.certificates.k8s.io "csr-1" is forbidden:
//     user not permitted to approve requests with signerName "..."`.
//   CertificateSigning: an update through certificatesigningrequests/status
//     that changes status.certificate needs the verb `sign` on the signer
//     likewise (`user not permitted to sign requests with signerName ...`).
//   CertificateSubjectRestriction: a request to the signer
//     kubernetes.io/kube-apiserver-client may not ask for the group
//     system:masters (`use of kubernetes.io/kube-apiserver-client signer
//     with system:masters group is not allowed`).
// The signer name checked is the stored one (spec never changes on update).
// With no authorizer (--authorization-mode=AlwaysAllow) every caller may
// approve and sign.
//
// Thread safety: immutable; the authorizer getter must be safe to call
// concurrently.
#ifndef MINIK8S_APISERVER_ADMISSION_CERTIFICATES_CERTIFICATES_H_
#define MINIK8S_APISERVER_ADMISSION_CERTIFICATES_CERTIFICATES_H_

#include <functional>
#include <string>

#include "apiserver/admission/interface.h"
#include "apiserver/authz/authorizer.h"

namespace minik8s::apiserver::admission {

inline constexpr char kCertificateApprovalName[] = "CertificateApproval";
inline constexpr char kCertificateSigningName[] = "CertificateSigning";
inline constexpr char kCertificateSubjectRestrictionName[] = "CertificateSubjectRestriction";

// The server's authorizer once it exists; null while there is none.
using AuthorizerGetter = std::function<const authz::Authorizer*()>;

// Kubernetes' IsAuthorizedForSignerName: `verb` on signers/<signer_name>,
// else on signers/<domain>/*.
bool IsAuthorizedForSignerName(const authz::Authorizer* authorizer, const authn::UserInfo& user,
                               const std::string& verb, const std::string& signer_name);

class CertificateApproval : public Plugin {
 public:
  explicit CertificateApproval(AuthorizerGetter authorizer) : authorizer_(std::move(authorizer)) {}
  absl::Status Admit(const Attributes& attributes) const override;

 private:
  const AuthorizerGetter authorizer_;
};

class CertificateSigning : public Plugin {
 public:
  explicit CertificateSigning(AuthorizerGetter authorizer) : authorizer_(std::move(authorizer)) {}
  absl::Status Admit(const Attributes& attributes) const override;

 private:
  const AuthorizerGetter authorizer_;
};

class CertificateSubjectRestriction : public Plugin {
 public:
  absl::Status Admit(const Attributes& attributes) const override;
};

}  // namespace minik8s::apiserver::admission

#endif  // MINIK8S_APISERVER_ADMISSION_CERTIFICATES_CERTIFICATES_H_
