// CertificateSigningRequests (certificates.k8s.io/v1), as Kubernetes'
// registry (pkg/registry/certificates/certificates/strategy.go) serves them:
//   - create: spec.username, uid, groups and extra are the authenticated
//     caller's, whatever the client sent; status is cleared (no request is
//     created approved).
//   - update of the object: only metadata changes; spec and status are
//     kept.
//   - "status" (the signer): spec is kept, and so are the Approved and
//     Denied conditions while their number is unchanged; status.certificate
//     and a Failed condition may be set.
//   - "approval" (an approver): only status.conditions change; the
//     certificate is kept.
// Conditions without lastUpdateTime get the time of the write; without
// lastTransitionTime, the stored one of the same type and status, or the
// time of the write. Each subresource validates with its own rules
// (api/validation/validation_certificates.h). Who may approve and sign is
// checked by the CertificateApproval and CertificateSigning admission
// plugins (apiserver/admission/certificates/).
#include <string>
#include <vector>

#ifdef MINIK8S_APISERVER_HAVE_VALIDATION
#include "api/validation/validation_certificates.h"
#endif
#include "api/time.h"
#include "apiserver/object_meta.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {
namespace {

using certificates::v1::CertificateSigningRequest;
using certificates::v1::CertificateSigningRequestCondition;

std::vector<int> IndicesOf(const CertificateSigningRequest& csr, const std::string& type) {
  std::vector<int> out;
  for (int i = 0; i < csr.status().conditions_size(); ++i) {
    if (csr.status().conditions(i).type() == type) out.push_back(i);
  }
  return out;
}

// Puts the stored conditions of `type` back in place when the write has as
// many of them.
void PreserveConditions(const CertificateSigningRequest& old, const std::string& type,
                        CertificateSigningRequest* csr) {
  const std::vector<int> before = IndicesOf(old, type);
  const std::vector<int> after = IndicesOf(*csr, type);
  if (before.size() != after.size()) return;
  for (size_t i = 0; i < after.size(); ++i) {
    *csr->mutable_status()->mutable_conditions(after[i]) = old.status().conditions(before[i]);
  }
}

void PopulateConditionTimestamps(const CertificateSigningRequest& old,
                                 CertificateSigningRequest* csr) {
  const meta::v1::Time now = api::NowTime();
  for (CertificateSigningRequestCondition& c : *csr->mutable_status()->mutable_conditions()) {
    if (!c.has_last_update_time()) *c.mutable_last_update_time() = now;
    if (c.has_last_transition_time()) continue;
    *c.mutable_last_transition_time() = now;
    for (const CertificateSigningRequestCondition& o : old.status().conditions()) {
      if (o.type() == c.type() && o.status() == c.status() && o.has_last_transition_time()) {
        *c.mutable_last_transition_time() = o.last_transition_time();
        break;
      }
    }
  }
}

class CertificateSigningRequestStrategy : public Strategy {
 public:
  explicit CertificateSigningRequestStrategy(const api::KindInfo* kind)
      : Strategy(kind, Traits{.status_subresource = true,
                              .clear_status_on_create = true,
                              .approval_subresource = true}) {}

  void PrepareForCreateBy(google::protobuf::Message* object,
                          const authn::UserInfo* user) const override {
    auto* spec = static_cast<CertificateSigningRequest*>(object)->mutable_spec();
    spec->clear_username();
    spec->clear_uid();
    spec->clear_groups();
    spec->clear_extra();
    if (user == nullptr) return;
    spec->set_username(user->name);
    spec->set_uid(user->uid);
    for (const std::string& group : user->groups) spec->add_groups(group);
    for (const auto& [key, values] : user->extra) {
      auto& extra = (*spec->mutable_extra())[key];
      for (const std::string& v : values) extra.add_items(v);
    }
  }

  void PrepareForUpdate(google::protobuf::Message* object,
                        const google::protobuf::Message& old) const override {
    Strategy::PrepareForUpdate(object, old);  // keeps status
    CopyField(old, object, "spec");
  }

  void PrepareForStatusUpdate(google::protobuf::Message* object,
                              const google::protobuf::Message& old) const override {
    Strategy::PrepareForStatusUpdate(object, old);  // keeps spec and metadata
    auto* csr = static_cast<CertificateSigningRequest*>(object);
    const auto& stored = static_cast<const CertificateSigningRequest&>(old);
    PreserveConditions(stored, "Approved", csr);
    PreserveConditions(stored, "Denied", csr);
    PopulateConditionTimestamps(stored, csr);
  }

  void PrepareForApprovalUpdate(google::protobuf::Message* object,
                                const google::protobuf::Message& old) const override {
    Strategy::PrepareForStatusUpdate(object, old);  // keeps spec and metadata
    auto* csr = static_cast<CertificateSigningRequest*>(object);
    const auto& stored = static_cast<const CertificateSigningRequest&>(old);
    PopulateConditionTimestamps(stored, csr);
    *csr->mutable_status()->mutable_certificate() = stored.status().certificate();
  }

  absl::Status ValidateUpdate(const google::protobuf::Message& object,
                              const google::protobuf::Message& old, const std::string& subresource,
                              const AdmissionOptions& options) const override {
#ifdef MINIK8S_APISERVER_HAVE_VALIDATION
    const auto& csr = static_cast<const CertificateSigningRequest&>(object);
    const auto& stored = static_cast<const CertificateSigningRequest&>(old);
    if (subresource == "status") {
      return InvalidObjectStatus(
          kind(), object, validation::ValidateCertificateSigningRequestStatusUpdate(csr, stored));
    }
    if (subresource == "approval") {
      return InvalidObjectStatus(
          kind(), object, validation::ValidateCertificateSigningRequestApprovalUpdate(csr, stored));
    }
#endif
    return Strategy::ValidateUpdate(object, old, subresource, options);
  }
};

}  // namespace

std::unique_ptr<Strategy> NewCertificateSigningRequestStrategy(const api::KindInfo* kind) {
  return std::make_unique<CertificateSigningRequestStrategy>(kind);
}

}  // namespace minik8s::apiserver
