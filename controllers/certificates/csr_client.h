// CsrClient: every call the certificate controllers make to the apiserver,
// behind an interface so their decisions are tested against a fake.
// NewApiCsrClient talks to the apiserver.
//
// Thread safety: implementations must be safe from any thread.
#ifndef MINIK8S_CONTROLLERS_CERTIFICATES_CSR_CLIENT_H_
#define MINIK8S_CONTROLLERS_CERTIFICATES_CSR_CLIENT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "client/clientset.h"
#include "k8s/authorization/v1/authorization.pb.h"
#include "k8s/certificates/v1/certificates.pb.h"

namespace minik8s::controllers {

class CsrClient {
 public:
  virtual ~CsrClient() = default;
  // Asks the apiserver's authorizer (authorization.k8s.io/v1
  // SubjectAccessReview); true when status.allowed.
  virtual absl::StatusOr<bool> SubjectAccessReview(
      const minik8s::authorization::v1::SubjectAccessReviewSpec& spec) = 0;
  // The approval subresource (Approved/Denied conditions), compare-and-swap
  // on resourceVersion.
  virtual absl::StatusOr<minik8s::certificates::v1::CertificateSigningRequest> UpdateApproval(
      const minik8s::certificates::v1::CertificateSigningRequest& csr) = 0;
  // The status subresource (status.certificate, the Failed condition).
  virtual absl::StatusOr<minik8s::certificates::v1::CertificateSigningRequest> UpdateStatus(
      const minik8s::certificates::v1::CertificateSigningRequest& csr) = 0;
};

// Over the apiserver; `clientset` is borrowed and must outlive the result.
std::unique_ptr<CsrClient> NewApiCsrClient(const client::Clientset* clientset);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_CERTIFICATES_CSR_CLIENT_H_
