// The csrapproving controller's decisions (CsrApprover::Handle) against a
// fake client: a node client CSR is approved after an allowed
// SubjectAccessReview (selfnodeclient first when the requester is the node,
// then nodeclient), with Kubernetes' reason and message; anything else — a
// refused review, another signer, a non-node subject, SANs, other usages,
// a decided or signed CSR — is left alone. Also the shared loop's Sync.
#include "controllers/certificates/csr_approver.h"

#include <memory>
#include <string>
#include <vector>

#include "client/indexer.h"
#include "controllers/certificates/certificate_controller.h"
#include "controllers/certificates/csr_util.h"
#include "gtest/gtest.h"
#include "tests/controllers/certificates_test_util.h"

namespace minik8s::controllers {
namespace {

using minik8s::certificates::v1::CertificateSigningRequest;
using testing::AddCondition;
using testing::FakeCsrClient;
using testing::MakeCsr;

const std::vector<std::string> kClientUsages = {"digital signature", "key encipherment",
                                                "client auth"};

CertificateSigningRequest BootstrapCsr(
    const pki::CsrRequest& request, const std::vector<std::string>& usages = kClientUsages,
    const std::string& signer = kKubeApiServerClientKubeletSignerName) {
  return MakeCsr("node-csr-abc", request, signer, usages, "system:bootstrap:abcdef",
                 {"system:bootstrappers", "system:authenticated"});
}

pki::CsrRequest NodeRequest(const std::string& node = "node-7") {
  return {.common_name = "system:node:" + node, .organizations = {"system:nodes"}};
}

TEST(CsrApprover, ApprovesABootstrapNodeClientCsrAfterAnAllowedReview) {
  FakeCsrClient client;
  client.allowed = {"nodeclient"};
  CsrApprover approver(&client);
  ASSERT_TRUE(approver.Handle(BootstrapCsr(NodeRequest())).ok());
  ASSERT_EQ(client.reviews.size(), 1u) << "no selfnodeclient review: not the node itself";
  const auto& review = client.reviews[0];
  EXPECT_EQ(review.user(), "system:bootstrap:abcdef");
  EXPECT_EQ(review.groups_size(), 2);
  EXPECT_EQ(review.groups(0), "system:bootstrappers");
  EXPECT_EQ(review.resource_attributes().group(), "certificates.k8s.io");
  EXPECT_EQ(review.resource_attributes().resource(), "certificatesigningrequests");
  EXPECT_EQ(review.resource_attributes().verb(), "create");
  EXPECT_EQ(review.resource_attributes().subresource(), "nodeclient");
  ASSERT_EQ(client.approvals.size(), 1u);
  const auto& status = client.approvals[0].status();
  ASSERT_EQ(status.conditions_size(), 1);
  EXPECT_EQ(status.conditions(0).type(), "Approved");
  EXPECT_EQ(status.conditions(0).status(), "True");
  EXPECT_EQ(status.conditions(0).reason(), "AutoApproved");
  EXPECT_EQ(status.conditions(0).message(),
            "Auto approving kubelet client certificate after SubjectAccessReview.");
  EXPECT_TRUE(status.conditions(0).has_last_update_time());
  EXPECT_EQ(client.approvals[0].metadata().resource_version(), "7") << "compare-and-swap";
  EXPECT_TRUE(client.statuses.empty());
}

TEST(CsrApprover, KeyEnciphermentIsOptional) {
  FakeCsrClient client;
  client.allowed = {"nodeclient"};
  CsrApprover approver(&client);
  ASSERT_TRUE(
      approver.Handle(BootstrapCsr(NodeRequest(), {"client auth", "digital signature"})).ok());
  EXPECT_EQ(client.approvals.size(), 1u);
}

TEST(CsrApprover, ANodeRenewingItsOwnCertificateAsksSelfNodeClientFirst) {
  FakeCsrClient client;
  client.allowed = {"selfnodeclient", "nodeclient"};
  CsrApprover approver(&client);
  CertificateSigningRequest csr =
      MakeCsr("renew", NodeRequest("node-3"), kKubeApiServerClientKubeletSignerName, kClientUsages,
              "system:node:node-3", {"system:nodes"});
  ASSERT_TRUE(approver.Handle(csr).ok());
  ASSERT_EQ(client.reviews.size(), 1u);
  EXPECT_EQ(client.reviews[0].resource_attributes().subresource(), "selfnodeclient");
  ASSERT_EQ(client.approvals.size(), 1u);
  EXPECT_EQ(client.approvals[0].status().conditions(0).message(),
            "Auto approving self kubelet client certificate after SubjectAccessReview.");

  // Without selfnodeclient, nodeclient still approves it.
  FakeCsrClient other;
  other.allowed = {"nodeclient"};
  CsrApprover second(&other);
  ASSERT_TRUE(second.Handle(csr).ok());
  ASSERT_EQ(other.reviews.size(), 2u);
  EXPECT_EQ(other.reviews[0].resource_attributes().subresource(), "selfnodeclient");
  EXPECT_EQ(other.reviews[1].resource_attributes().subresource(), "nodeclient");
  ASSERT_EQ(other.approvals.size(), 1u);
  EXPECT_EQ(other.approvals[0].status().conditions(0).message(), kNodeClientMessage);
}

TEST(CsrApprover, ARefusedReviewLeavesTheCsrPendingAndRetries) {
  FakeCsrClient client;  // allows nothing
  CsrApprover approver(&client);
  absl::Status s = approver.Handle(BootstrapCsr(NodeRequest()));
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(IsIgnorable(s)) << s;
  EXPECT_EQ(s.message(),
            "recognized csr \"node-csr-abc\" as [nodeclient] but subject access review was not "
            "approved");
  EXPECT_EQ(client.reviews.size(), 1u);
  EXPECT_TRUE(client.approvals.empty());
}

TEST(CsrApprover, AReviewErrorIsAnErrorThatIsNotIgnorable) {
  FakeCsrClient client;
  client.review_error = absl::UnavailableError("apiserver away");
  CsrApprover approver(&client);
  absl::Status s = approver.Handle(BootstrapCsr(NodeRequest()));
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_FALSE(IsIgnorable(s));
  EXPECT_TRUE(client.approvals.empty());
}

TEST(CsrApprover, NeverApprovesWhatIsNotANodeClientCsr) {
  struct Case {
    const char* what;
    CertificateSigningRequest csr;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"a user's subject", BootstrapCsr({.common_name = "alice", .organizations = {"dev"}})});
  cases.push_back({"CN without system:node:",
                   BootstrapCsr({.common_name = "node-7", .organizations = {"system:nodes"}})});
  cases.push_back({"another organization too",
                   BootstrapCsr({.common_name = "system:node:node-7",
                                 .organizations = {"system:nodes", "system:masters"}})});
  cases.push_back({"no organization", BootstrapCsr({.common_name = "system:node:node-7"})});
  cases.push_back({"a DNS SAN", BootstrapCsr({.common_name = "system:node:node-7",
                                              .organizations = {"system:nodes"},
                                              .dns_names = {"node-7"}})});
  cases.push_back({"an IP SAN", BootstrapCsr({.common_name = "system:node:node-7",
                                              .organizations = {"system:nodes"},
                                              .ip_addresses = {"10.0.0.7"}})});
  cases.push_back(
      {"server auth too", BootstrapCsr(NodeRequest(), {"digital signature", "key encipherment",
                                                       "client auth", "server auth"})});
  cases.push_back({"no client auth", BootstrapCsr(NodeRequest(), {"digital signature"})});
  cases.push_back(
      {"no digital signature", BootstrapCsr(NodeRequest(), {"key encipherment", "client auth"})});
  cases.push_back({"another signer",
                   BootstrapCsr(NodeRequest(), kClientUsages, kKubeApiServerClientSignerName)});
  cases.push_back({"the serving signer",
                   BootstrapCsr(NodeRequest(), kClientUsages, kKubeletServingSignerName)});
  {
    CertificateSigningRequest garbage = BootstrapCsr(NodeRequest());
    garbage.mutable_spec()->set_request("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n");
    cases.push_back({"an unparsable request", garbage});
  }
  for (const Case& c : cases) {
    FakeCsrClient client;
    client.allowed = {"nodeclient", "selfnodeclient"};
    CsrApprover approver(&client);
    EXPECT_TRUE(RecognizeCsr(c.csr).empty()) << c.what;
    EXPECT_TRUE(approver.Handle(c.csr).ok()) << c.what;
    EXPECT_TRUE(client.reviews.empty()) << c.what;
    EXPECT_TRUE(client.approvals.empty()) << c.what;
  }
}

TEST(CsrApprover, ApprovesAKubeProxyClientCsrOnlyWithKubeProxyClientPermission) {
  const CertificateSigningRequest csr =
      BootstrapCsr({.common_name = "system:kube-proxy"}, {"digital signature", "client auth"},
                   kKubeApiServerClientSignerName);
  {
    FakeCsrClient client;
    client.allowed = {"nodeclient", "selfnodeclient"};
    CsrApprover approver(&client);
    EXPECT_FALSE(approver.Handle(csr).ok()) << "recognized but not allowed: retried";
    ASSERT_EQ(client.reviews.size(), 1u);
    EXPECT_EQ(client.reviews[0].resource_attributes().subresource(), "kubeproxyclient");
    EXPECT_TRUE(client.approvals.empty());
  }
  FakeCsrClient client;
  client.allowed = {"kubeproxyclient"};
  CsrApprover approver(&client);
  ASSERT_TRUE(approver.Handle(csr).ok());
  ASSERT_EQ(client.approvals.size(), 1u);
  const auto& condition = client.approvals[0].status().conditions(0);
  EXPECT_EQ(condition.type(), "Approved");
  EXPECT_EQ(condition.reason(), "AutoApproved");
  EXPECT_EQ(condition.message(),
            "Auto approving kube-proxy client certificate after SubjectAccessReview.");
}

TEST(CsrApprover, NeverApprovesAnotherClientCertificateForTheApiServerSigner) {
  const std::vector<std::string> usages = {"digital signature", "client auth"};
  std::vector<std::pair<const char*, CertificateSigningRequest>> cases = {
      {"another user", BootstrapCsr({.common_name = "system:kube-scheduler"}, usages,
                                    kKubeApiServerClientSignerName)},
      {"an admin",
       BootstrapCsr({.common_name = "system:kube-proxy", .organizations = {"system:masters"}},
                    usages, kKubeApiServerClientSignerName)},
      {"a DNS SAN", BootstrapCsr({.common_name = "system:kube-proxy", .dns_names = {"proxy"}},
                                 usages, kKubeApiServerClientSignerName)},
      {"server auth", BootstrapCsr({.common_name = "system:kube-proxy"},
                                   {"digital signature", "client auth", "server auth"},
                                   kKubeApiServerClientSignerName)},
      {"the kubelet client signer", BootstrapCsr({.common_name = "system:kube-proxy"}, usages,
                                                 kKubeApiServerClientKubeletSignerName)},
  };
  for (const auto& [what, csr] : cases) {
    FakeCsrClient client;
    client.allowed = {"nodeclient", "selfnodeclient", "kubeproxyclient"};
    CsrApprover approver(&client);
    EXPECT_TRUE(RecognizeCsr(csr).empty()) << what;
    EXPECT_TRUE(approver.Handle(csr).ok()) << what;
    EXPECT_TRUE(client.approvals.empty()) << what;
  }
}

TEST(CsrApprover, LeavesDecidedAndSignedCsrsAlone) {
  for (const char* type : {"Approved", "Denied"}) {
    FakeCsrClient client;
    client.allowed = {"nodeclient"};
    CsrApprover approver(&client);
    CertificateSigningRequest csr = BootstrapCsr(NodeRequest());
    AddCondition(&csr, type);
    EXPECT_TRUE(approver.Handle(csr).ok());
    EXPECT_TRUE(client.reviews.empty()) << type;
    EXPECT_TRUE(client.approvals.empty()) << type;
  }
  FakeCsrClient client;
  client.allowed = {"nodeclient"};
  CsrApprover approver(&client);
  CertificateSigningRequest csr = BootstrapCsr(NodeRequest());
  csr.mutable_status()->set_certificate("-----BEGIN CERTIFICATE-----\n");
  EXPECT_TRUE(approver.Handle(csr).ok());
  EXPECT_TRUE(client.approvals.empty());
}

TEST(CertificateController, SyncCallsTheHandlerForCsrsWithoutACertificate) {
  client::Indexer cache(client::DefaultIndexersFor(CertificateSigningRequest::descriptor()));
  std::vector<std::string> handled;
  CertificateController controller("csrtest", client::Lister<CertificateSigningRequest>(&cache),
                                   [&](const CertificateSigningRequest& csr) {
                                     handled.push_back(csr.metadata().name());
                                     return absl::OkStatus();
                                   });
  EXPECT_TRUE(controller.Sync("gone").ok());
  auto pending = std::make_shared<CertificateSigningRequest>(BootstrapCsr(NodeRequest()));
  pending->mutable_metadata()->set_name("pending");
  cache.Upsert(pending);
  auto signed_csr = std::make_shared<CertificateSigningRequest>(*pending);
  signed_csr->mutable_metadata()->set_name("signed");
  signed_csr->mutable_status()->set_certificate("-----BEGIN CERTIFICATE-----\n");
  cache.Upsert(signed_csr);
  EXPECT_TRUE(controller.Sync("pending").ok());
  EXPECT_TRUE(controller.Sync("signed").ok());
  EXPECT_EQ(handled, std::vector<std::string>{"pending"});
}

}  // namespace
}  // namespace minik8s::controllers
