#include "controllers/certificates/csr_client.h"

namespace minik8s::controllers {
namespace {

using minik8s::authorization::v1::SubjectAccessReviewSpec;
using minik8s::certificates::v1::CertificateSigningRequest;

constexpr char kCsrResource[] = "certificatesigningrequests";

class ApiCsrClient : public CsrClient {
 public:
  explicit ApiCsrClient(const client::Clientset* cs) : cs_(cs) {}

  absl::StatusOr<bool> SubjectAccessReview(const SubjectAccessReviewSpec& spec) override {
    minik8s::authorization::v1::SubjectAccessReview review;
    review.set_api_version("authorization.k8s.io/v1");
    review.set_kind("SubjectAccessReview");
    *review.mutable_spec() = spec;
    minik8s::authorization::v1::SubjectAccessReview answer;
    if (absl::Status s = cs_->api()->Create("subjectaccessreviews", "", review, &answer); !s.ok()) {
      return s;
    }
    return answer.status().allowed();
  }
  absl::StatusOr<CertificateSigningRequest> UpdateApproval(
      const CertificateSigningRequest& csr) override {
    return Update(csr, "approval");
  }
  absl::StatusOr<CertificateSigningRequest> UpdateStatus(
      const CertificateSigningRequest& csr) override {
    return Update(csr, "status");
  }

 private:
  absl::StatusOr<CertificateSigningRequest> Update(const CertificateSigningRequest& csr,
                                                   absl::string_view subresource) {
    CertificateSigningRequest out;
    if (absl::Status s =
            cs_->api()->Update(kCsrResource, "", csr.metadata().name(), subresource, csr, &out);
        !s.ok()) {
      return s;
    }
    return out;
  }

  const client::Clientset* cs_;
};

}  // namespace

std::unique_ptr<CsrClient> NewApiCsrClient(const client::Clientset* clientset) {
  return std::make_unique<ApiCsrClient>(clientset);
}

}  // namespace minik8s::controllers
