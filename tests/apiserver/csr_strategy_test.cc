// The CertificateSigningRequest strategy (kinds/certificatesigningrequest/):
// the requester is the caller and cannot be forged, what each write path
// keeps, the condition timestamps, the per-subresource validation, and the
// CertificateApproval / CertificateSigning / CertificateSubjectRestriction
// admission plugins with a fake authorizer.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "api/errors.h"
#include "api/scheme.h"
#include "apiserver/admission/certificates/certificates.h"
#include "apiserver/registry/registry.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "pki/csr.h"
#include "pki/key.h"

namespace minik8s::apiserver {
namespace {

using certificates::v1::CertificateSigningRequest;

const Strategy& CsrStrategy() {
  static Registry* registry = new Registry(api::Scheme::Default());
  return **registry->Find("certificatesigningrequests.certificates.k8s.io");
}

std::string RequestPem(const std::vector<std::string>& groups) {
  auto key = pki::PrivateKey::Generate();
  EXPECT_TRUE(key.ok());
  auto pem = pki::CreateCsr(*key, {.common_name = "jane", .organizations = groups});
  EXPECT_TRUE(pem.ok());
  return *pem;
}

CertificateSigningRequest Forged() {
  CertificateSigningRequest csr;
  csr.mutable_metadata()->set_name("csr-1");
  csr.mutable_spec()->set_request(RequestPem({}));
  csr.mutable_spec()->set_signer_name("example.com/signer");
  csr.mutable_spec()->add_usages("client auth");
  csr.mutable_spec()->set_username("kubernetes-admin");
  csr.mutable_spec()->set_uid("admin-uid");
  csr.mutable_spec()->add_groups("system:masters");
  (*csr.mutable_spec()->mutable_extra())["scopes"].add_items("all");
  auto* c = csr.mutable_status()->add_conditions();
  c->set_type("Approved");
  c->set_status("True");
  csr.mutable_status()->set_certificate("forged");
  return csr;
}

TEST(CsrStrategy, TheRequesterIsTheCallerAndCannotBeForged) {
  const Strategy& s = CsrStrategy();
  EXPECT_FALSE(s.kind().namespaced);
  EXPECT_TRUE(s.traits().status_subresource);
  EXPECT_TRUE(s.traits().approval_subresource);

  CertificateSigningRequest csr = Forged();
  authn::UserInfo jane{.name = "jane",
                       .uid = "jane-uid",
                       .groups = {"devs", "system:authenticated"},
                       .extra = {{"reason", {"joining", "node"}}}};
  s.PrepareForCreate(&csr);
  s.PrepareForCreateBy(&csr, &jane);
  EXPECT_EQ(csr.spec().username(), "jane");
  EXPECT_EQ(csr.spec().uid(), "jane-uid");
  EXPECT_EQ(std::vector<std::string>(csr.spec().groups().begin(), csr.spec().groups().end()),
            (std::vector<std::string>{"devs", "system:authenticated"}));
  ASSERT_EQ(csr.spec().extra_size(), 1);
  const auto& reason = csr.spec().extra().at("reason");
  EXPECT_EQ(std::vector<std::string>(reason.items().begin(), reason.items().end()),
            (std::vector<std::string>{"joining", "node"}));
  EXPECT_FALSE(csr.has_status()) << "no request is created approved";

  // The apiserver's own writes name nobody.
  CertificateSigningRequest own = Forged();
  s.PrepareForCreateBy(&own, nullptr);
  EXPECT_EQ(own.spec().username(), "");
  EXPECT_EQ(own.spec().groups_size(), 0);
  EXPECT_EQ(own.spec().extra_size(), 0);
}

TEST(CsrStrategy, EachWritePathKeepsWhatItMayNotChange) {
  const Strategy& s = CsrStrategy();
  CertificateSigningRequest stored = Forged();
  stored.mutable_spec()->set_username("jane");
  stored.mutable_status()->clear_certificate();
  stored.mutable_status()->mutable_conditions(0)->mutable_last_update_time()->set_seconds(100);
  stored.mutable_status()->mutable_conditions(0)->mutable_last_transition_time()->set_seconds(100);

  // The object itself: metadata only.
  CertificateSigningRequest update = stored;
  update.mutable_spec()->set_username("mallory");
  update.mutable_status()->clear_conditions();
  (*update.mutable_metadata()->mutable_labels())["a"] = "b";
  s.PrepareForUpdate(&update, stored);
  EXPECT_EQ(update.spec().username(), "jane");
  EXPECT_EQ(update.status().conditions_size(), 1);
  EXPECT_EQ(update.metadata().labels().at("a"), "b");

  // status: the certificate, not the spec nor the approval conditions.
  CertificateSigningRequest status = stored;
  status.mutable_spec()->set_signer_name("example.com/other");
  status.mutable_status()->mutable_conditions(0)->set_message("rewritten");
  status.mutable_status()->set_certificate("cert");
  auto* failed = status.mutable_status()->add_conditions();
  failed->set_type("Failed");
  failed->set_status("True");
  s.PrepareForStatusUpdate(&status, stored);
  EXPECT_EQ(status.spec().signer_name(), "example.com/signer");
  EXPECT_EQ(status.status().conditions(0).message(), "");
  EXPECT_EQ(status.status().certificate(), "cert");
  ASSERT_EQ(status.status().conditions_size(), 2);
  EXPECT_TRUE(status.status().conditions(1).has_last_update_time());
  EXPECT_TRUE(status.status().conditions(1).has_last_transition_time());

  // approval: the conditions, not the certificate.
  CertificateSigningRequest issued = stored;
  issued.mutable_status()->set_certificate("cert");
  CertificateSigningRequest approval = issued;
  approval.mutable_status()->set_certificate("other");
  approval.mutable_spec()->clear_usages();
  approval.mutable_status()->mutable_conditions(0)->clear_last_transition_time();
  s.PrepareForApprovalUpdate(&approval, issued);
  EXPECT_EQ(approval.status().certificate(), "cert");
  EXPECT_EQ(approval.spec().usages_size(), 1);
  // The stored transition time of the same type and status is kept.
  EXPECT_EQ(approval.status().conditions(0).last_transition_time().seconds(), 100);
}

TEST(CsrStrategy, EachSubresourceValidatesWhatItMayChange) {
  const Strategy& s = CsrStrategy();
  CertificateSigningRequest stored = Forged();
  stored.mutable_status()->Clear();
  CertificateSigningRequest approved = stored;
  auto* c = approved.mutable_status()->add_conditions();
  c->set_type("Approved");
  c->set_status("True");
  EXPECT_TRUE(s.ValidateUpdate(approved, stored, "approval", {}).ok());
  absl::Status status = s.ValidateUpdate(approved, stored, "status", {});
  EXPECT_EQ(api::Reason(status), "Invalid");
  EXPECT_EQ(status.message(),
            "CertificateSigningRequest.certificates.k8s.io \"csr-1\" is invalid: "
            "status.conditions: Forbidden: updates may not add a condition of type \"Approved\"");
}

// Allows `verb` on signers named in `allowed`; nothing else.
class FakeAuthorizer : public authz::Authorizer {
 public:
  explicit FakeAuthorizer(std::set<std::string> allowed) : allowed_(std::move(allowed)) {}
  authz::Result Authorize(const authz::Attributes& a) const override {
    const bool ok = a.resource == "signers" && a.api_group == "certificates.k8s.io" &&
                    allowed_.count(a.verb + " " + a.name) > 0;
    return {ok ? authz::Decision::kAllow : authz::Decision::kNoOpinion, ""};
  }

 private:
  std::set<std::string> allowed_;
};

TEST(CsrAdmission, ApprovingAndSigningNeedTheSignerVerb) {
  const api::KindInfo& kind = CsrStrategy().kind();
  FakeAuthorizer authorizer({"approve example.com/*", "sign example.com/signer"});
  admission::CertificateApproval approval([&] { return &authorizer; });
  admission::CertificateSigning signing([&] { return &authorizer; });
  authn::UserInfo carol{.name = "carol"};
  CertificateSigningRequest stored = Forged();
  stored.mutable_status()->Clear();
  CertificateSigningRequest changed = stored;
  changed.mutable_status()->set_certificate("cert");
  admission::Attributes a{.user = &carol,
                          .operation = admission::Operation::kUpdate,
                          .kind = &kind,
                          .name = "csr-1",
                          .subresource = "approval",
                          .object = &changed,
                          .old_object = &stored};
  EXPECT_TRUE(approval.Admit(a).ok()) << "approve on example.com/* covers the signer";
  a.subresource = "status";
  EXPECT_TRUE(signing.Admit(a).ok());

  stored.mutable_spec()->set_signer_name("other.io/signer");
  changed.mutable_spec()->set_signer_name("other.io/signer");
  a.subresource = "approval";
  absl::Status refused = approval.Admit(a);
  EXPECT_EQ(api::Reason(refused), "Forbidden");
  EXPECT_EQ(refused.message(),
            "certificatesigningrequests.certificates.k8s.io \"csr-1\" is forbidden: user not "
            "permitted to approve requests with signerName \"other.io/signer\"");
  a.subresource = "status";
  EXPECT_EQ(signing.Admit(a).message(),
            "certificatesigningrequests.certificates.k8s.io \"csr-1\" is forbidden: user not "
            "permitted to sign requests with signerName \"other.io/signer\"");
  // A status write that leaves the certificate alone needs no `sign`.
  a.object = &stored;
  EXPECT_TRUE(signing.Admit(a).ok());
  // Without an authorizer (AlwaysAllow) everybody may.
  admission::CertificateApproval open([] { return nullptr; });
  a.subresource = "approval";
  EXPECT_TRUE(open.Admit(a).ok());
}

TEST(CsrAdmission, NoSystemMastersFromTheClientSigner) {
  const api::KindInfo& kind = CsrStrategy().kind();
  admission::CertificateSubjectRestriction restriction;
  CertificateSigningRequest csr = Forged();
  csr.mutable_spec()->set_request(RequestPem({"devs", "system:masters"}));
  admission::Attributes a{
      .operation = admission::Operation::kCreate, .kind = &kind, .name = "csr-1", .object = &csr};
  EXPECT_TRUE(restriction.Admit(a).ok()) << "another signer";
  csr.mutable_spec()->set_signer_name("kubernetes.io/kube-apiserver-client");
  EXPECT_EQ(restriction.Admit(a).message(),
            "certificatesigningrequests.certificates.k8s.io \"csr-1\" is forbidden: use of "
            "kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed");
  csr.mutable_spec()->set_request(RequestPem({"devs"}));
  EXPECT_TRUE(restriction.Admit(a).ok());
}

}  // namespace
}  // namespace minik8s::apiserver
