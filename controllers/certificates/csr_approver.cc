#include "controllers/certificates/csr_approver.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "api/time.h"
#include "controllers/certificates/certificate_controller.h"
#include "controllers/certificates/csr_util.h"
#include "pki/csr.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {

using minik8s::certificates::v1::CertificateSigningRequest;

std::vector<CsrApprovalPermission> RecognizeCsr(const CertificateSigningRequest& csr) {
  const std::string& signer = csr.spec().signer_name();
  if (signer != kKubeApiServerClientKubeletSignerName && signer != kKubeApiServerClientSignerName) {
    return {};
  }
  absl::StatusOr<pki::CsrRequest> request = pki::ParseCsr(csr.spec().request());
  if (!request.ok()) return {};
  const std::vector<std::string> usages(csr.spec().usages().begin(), csr.spec().usages().end());
  if (signer == kKubeApiServerClientSignerName) {
    if (request->common_name != kKubeProxyUser || !request->organizations.empty() ||
        !request->dns_names.empty() || !request->ip_addresses.empty() ||
        !ValidateApiServerClientUsages(usages).ok()) {
      return {};
    }
    return {{kKubeProxyClientSubresource, kKubeProxyClientMessage}};
  }
  if (!ValidateKubeletClientCsr(*request, usages).ok()) return {};
  std::vector<CsrApprovalPermission> out;
  if (csr.spec().username() == request->common_name) {
    out.push_back({"selfnodeclient", kSelfNodeClientMessage});
  }
  out.push_back({"nodeclient", kNodeClientMessage});
  return out;
}

absl::Status CsrApprover::Handle(const CertificateSigningRequest& csr) {
  if (!csr.status().certificate().empty()) return absl::OkStatus();
  for (const auto& c : csr.status().conditions()) {
    if (c.type() == kCsrApproved || c.type() == kCsrDenied) return absl::OkStatus();
  }
  std::vector<std::string> tried;
  for (const CsrApprovalPermission& p : RecognizeCsr(csr)) {
    tried.push_back(p.subresource);
    minik8s::authorization::v1::SubjectAccessReviewSpec spec;
    spec.set_user(csr.spec().username());
    spec.set_uid(csr.spec().uid());
    *spec.mutable_groups() = csr.spec().groups();
    auto* attributes = spec.mutable_resource_attributes();
    attributes->set_group("certificates.k8s.io");
    attributes->set_resource("certificatesigningrequests");
    attributes->set_verb("create");
    attributes->set_subresource(p.subresource);
    absl::StatusOr<bool> allowed = client_->SubjectAccessReview(spec);
    if (!allowed.ok()) {
      return absl::Status(allowed.status().code(),
                          absl::StrCat("subject access review for csr \"", csr.metadata().name(),
                                       "\": ", allowed.status().message()));
    }
    if (!*allowed) continue;
    CertificateSigningRequest approved = csr;
    auto* condition = approved.mutable_status()->add_conditions();
    condition->set_type(kCsrApproved);
    condition->set_status("True");
    condition->set_reason(kAutoApprovedReason);
    condition->set_message(p.message);
    const auto now = api::ToProtoTime(absl::Now());
    *condition->mutable_last_update_time() = now;
    *condition->mutable_last_transition_time() = now;
    absl::StatusOr<CertificateSigningRequest> updated = client_->UpdateApproval(approved);
    if (!updated.ok()) {
      return absl::Status(updated.status().code(),
                          absl::StrCat("error updating approval for csr \"", csr.metadata().name(),
                                       "\": ", updated.status().message()));
    }
    spdlog::info("csrapproving: approved {} for {} ({})", csr.metadata().name(),
                 csr.spec().username(), p.subresource);
    return absl::OkStatus();
  }
  if (!tried.empty()) {
    return IgnorableError(absl::StrCat("recognized csr \"", csr.metadata().name(), "\" as [",
                                       absl::StrJoin(tried, " "),
                                       "] but subject access review was not approved"));
  }
  return absl::OkStatus();
}

}  // namespace minik8s::controllers
