// Test helpers for the certificate controllers' unit tests: CSR objects
// with a real PKCS#10 request, and a fake CsrClient that answers
// SubjectAccessReviews from a table and records the writes.
#ifndef MINIK8S_TESTS_CONTROLLERS_CERTIFICATES_TEST_UTIL_H_
#define MINIK8S_TESTS_CONTROLLERS_CERTIFICATES_TEST_UTIL_H_

#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "controllers/certificates/csr_client.h"
#include "gtest/gtest.h"
#include "pki/csr.h"
#include "pki/key.h"

namespace minik8s::controllers::testing {

using minik8s::certificates::v1::CertificateSigningRequest;

// A CSR named `name` for `request` (made with a new P-256 key), asked by
// `username` in `groups`.
inline CertificateSigningRequest MakeCsr(const std::string& name, const pki::CsrRequest& request,
                                         const std::string& signer,
                                         const std::vector<std::string>& usages,
                                         const std::string& username,
                                         const std::vector<std::string>& groups) {
  absl::StatusOr<pki::PrivateKey> key = pki::PrivateKey::Generate();
  EXPECT_TRUE(key.ok()) << key.status();
  absl::StatusOr<std::string> pem = pki::CreateCsr(*key, request);
  EXPECT_TRUE(pem.ok()) << pem.status();
  CertificateSigningRequest csr;
  csr.mutable_metadata()->set_name(name);
  csr.mutable_metadata()->set_resource_version("7");
  csr.mutable_spec()->set_request(*pem);
  csr.mutable_spec()->set_signer_name(signer);
  for (const std::string& u : usages) csr.mutable_spec()->add_usages(u);
  csr.mutable_spec()->set_username(username);
  for (const std::string& g : groups) csr.mutable_spec()->add_groups(g);
  return csr;
}

inline void AddCondition(CertificateSigningRequest* csr, const std::string& type) {
  auto* c = csr->mutable_status()->add_conditions();
  c->set_type(type);
  c->set_status("True");
}

class FakeCsrClient : public CsrClient {
 public:
  absl::StatusOr<bool> SubjectAccessReview(
      const minik8s::authorization::v1::SubjectAccessReviewSpec& spec) override {
    absl::MutexLock l(&mu);
    reviews.push_back(spec);
    if (!review_error.ok()) return review_error;
    return allowed.count(spec.resource_attributes().subresource()) > 0;
  }
  absl::StatusOr<CertificateSigningRequest> UpdateApproval(
      const CertificateSigningRequest& csr) override {
    absl::MutexLock l(&mu);
    approvals.push_back(csr);
    return csr;
  }
  absl::StatusOr<CertificateSigningRequest> UpdateStatus(
      const CertificateSigningRequest& csr) override {
    absl::MutexLock l(&mu);
    statuses.push_back(csr);
    return csr;
  }

  absl::Mutex mu;
  std::set<std::string> allowed;  // subresources the reviews allow
  absl::Status review_error;
  std::vector<minik8s::authorization::v1::SubjectAccessReviewSpec> reviews;
  std::vector<CertificateSigningRequest> approvals;
  std::vector<CertificateSigningRequest> statuses;
};

}  // namespace minik8s::controllers::testing

#endif  // MINIK8S_TESTS_CONTROLLERS_CERTIFICATES_TEST_UTIL_H_
