// The csrsigning controller's decisions (CsrSigner::Handle) against a fake
// client and a fresh CA: approved CSRs of the three kubernetes.io signers
// get a certificate that chains to the CA with the request's subject and
// the usages asked; a request that breaks its signer's rules gets Failed
// (SignerValidationFailure) with Kubernetes' message; pending, denied,
// failed and foreign CSRs are left alone; the lifetime follows
// expirationSeconds and --cluster-signing-duration and never outlives the CA.
#include "controllers/certificates/csr_signer.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "controllers/certificates/csr_util.h"
#include "gtest/gtest.h"
#include "pki/issue.h"
#include "pki/pem_file.h"
#include "testing/temp_dir.h"
#include "tests/controllers/certificates_test_util.h"

namespace minik8s::controllers {
namespace {

using minik8s::certificates::v1::CertificateSigningRequest;
using testing::AddCondition;
using testing::FakeCsrClient;
using testing::MakeCsr;

const std::vector<std::string> kClientUsages = {"digital signature", "key encipherment",
                                                "client auth"};

pki::CsrRequest NodeRequest() {
  return {.common_name = "system:node:node-7", .organizations = {"system:nodes"}};
}

CertificateSigningRequest Approved(CertificateSigningRequest csr) {
  AddCondition(&csr, "Approved");
  return csr;
}

class CsrSignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<pki::CertificateAuthority> ca = pki::CreateSelfSignedCa();
    ASSERT_TRUE(ca.ok()) << ca.status();
    signer_ = std::make_unique<CsrSigner>(*std::move(ca), &client_);
  }

  // The certificate written for `csr` (fails the test when none).
  std::optional<pki::Certificate> SignedCertificate(const CertificateSigningRequest& csr) {
    absl::Status s = signer_->Handle(csr);
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_EQ(client_.statuses.size(), 1u);
    if (client_.statuses.empty()) return std::nullopt;
    const auto& out = client_.statuses.back();
    EXPECT_EQ(out.status().conditions_size(), csr.status().conditions_size())
        << "no condition added";
    absl::StatusOr<pki::Certificate> cert = pki::Certificate::FromPem(out.status().certificate());
    EXPECT_TRUE(cert.ok()) << cert.status();
    if (!cert.ok()) return std::nullopt;
    EXPECT_TRUE(cert->VerifySignedBy(signer_->ca().cert).ok());
    return *std::move(cert);
  }

  // The Failed condition's message written for `csr` ("" when none).
  std::string FailedMessage(const CertificateSigningRequest& csr) {
    absl::Status s = signer_->Handle(csr);
    EXPECT_TRUE(s.ok()) << s;
    if (client_.statuses.size() != 1) return "";
    const auto& out = client_.statuses.back();
    EXPECT_TRUE(out.status().certificate().empty());
    const auto& last = out.status().conditions(out.status().conditions_size() - 1);
    EXPECT_EQ(last.type(), "Failed");
    EXPECT_EQ(last.status(), "True");
    EXPECT_EQ(last.reason(), "SignerValidationFailure");
    return last.message();
  }

  FakeCsrClient client_;
  std::unique_ptr<CsrSigner> signer_;
};

TEST_F(CsrSignerTest, SignsAnApprovedKubeletClientCsr) {
  const absl::Time before = absl::Now();
  std::optional<pki::Certificate> cert = SignedCertificate(
      Approved(MakeCsr("node-csr-1", NodeRequest(), kKubeApiServerClientKubeletSignerName,
                       kClientUsages, "system:bootstrap:abcdef", {"system:bootstrappers"})));
  ASSERT_TRUE(cert.has_value());
  EXPECT_EQ(cert->CommonName(), "system:node:node-7");
  EXPECT_EQ(cert->Organizations(), std::vector<std::string>{"system:nodes"});
  EXPECT_TRUE(cert->HasClientAuth());
  EXPECT_FALSE(cert->HasServerAuth());
  EXPECT_FALSE(cert->IsCa());
  // 8760h, ending 5 minutes early; notBefore 5 minutes back.
  EXPECT_GE(cert->NotAfter(), before + absl::Hours(8760) - absl::Minutes(5) - absl::Seconds(2));
  EXPECT_LE(cert->NotAfter(),
            absl::Now() + absl::Hours(8760) - absl::Minutes(5) + absl::Seconds(1));
  EXPECT_LE(cert->NotBefore(), before - absl::Minutes(5) + absl::Seconds(1));
}

TEST_F(CsrSignerTest, SignsKubeletServingAndApiServerClientCsrs) {
  std::optional<pki::Certificate> serving = SignedCertificate(
      Approved(MakeCsr("serving",
                       {.common_name = "system:node:node-7",
                        .organizations = {"system:nodes"},
                        .dns_names = {"node-7"},
                        .ip_addresses = {"10.0.0.7"}},
                       kKubeletServingSignerName, {"digital signature", "server auth"},
                       "system:node:node-7", {"system:nodes"})));
  ASSERT_TRUE(serving.has_value());
  EXPECT_TRUE(serving->HasServerAuth());
  EXPECT_FALSE(serving->HasClientAuth());
  EXPECT_EQ(serving->DnsNames(), std::vector<std::string>{"node-7"});
  EXPECT_EQ(serving->IpAddresses(), std::vector<std::string>{"10.0.0.7"});

  client_.statuses.clear();
  std::optional<pki::Certificate> user = SignedCertificate(Approved(MakeCsr(
      "alice", {.common_name = "alice", .organizations = {"dev", "ops"}},
      kKubeApiServerClientSignerName, {"client auth"}, "kubernetes-admin", {"system:masters"})));
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->CommonName(), "alice");
  EXPECT_EQ(user->Organizations(), (std::vector<std::string>{"dev", "ops"}));
  EXPECT_TRUE(user->HasClientAuth());
}

TEST_F(CsrSignerTest, ARequestBreakingItsSignersRulesFails) {
  EXPECT_EQ(FailedMessage(Approved(
                MakeCsr("user-as-kubelet", {.common_name = "alice", .organizations = {"dev"}},
                        kKubeApiServerClientKubeletSignerName, kClientUsages, "alice", {}))),
            "subject organization is not system:nodes");
  client_.statuses.clear();
  EXPECT_EQ(FailedMessage(Approved(MakeCsr("serving-usage", NodeRequest(),
                                           kKubeApiServerClientKubeletSignerName,
                                           {"digital signature", "server auth"}, "x", {}))),
            "usages did not match [client auth digital signature key encipherment]");
  client_.statuses.clear();
  EXPECT_EQ(
      FailedMessage(Approved(MakeCsr("serving-no-san", NodeRequest(), kKubeletServingSignerName,
                                     {"digital signature", "server auth"}, "x", {}))),
      "DNS or IP subjectAltName is required");
  client_.statuses.clear();
  EXPECT_EQ(FailedMessage(Approved(MakeCsr("client-server-usage", {.common_name = "alice"},
                                           kKubeApiServerClientSignerName,
                                           {"client auth", "server auth"}, "x", {}))),
            "invalid usage for client certificate: server auth");
  client_.statuses.clear();
  EXPECT_EQ(FailedMessage(
                Approved(MakeCsr("client-no-client", {.common_name = "alice"},
                                 kKubeApiServerClientSignerName, {"digital signature"}, "x", {}))),
            "missing required usage for client certificate: client auth");
  client_.statuses.clear();
  CertificateSigningRequest garbage = Approved(MakeCsr(
      "garbage", NodeRequest(), kKubeApiServerClientKubeletSignerName, kClientUsages, "x", {}));
  garbage.mutable_spec()->set_request("not a request");
  EXPECT_FALSE(FailedMessage(garbage).empty());
}

TEST_F(CsrSignerTest, LeavesPendingDeniedFailedForeignAndSignedCsrsAlone) {
  const CertificateSigningRequest base = MakeCsr(
      "node-csr-1", NodeRequest(), kKubeApiServerClientKubeletSignerName, kClientUsages, "x", {});
  std::vector<CertificateSigningRequest> cases;
  cases.push_back(base);  // pending
  CertificateSigningRequest denied = Approved(base);
  AddCondition(&denied, "Denied");
  cases.push_back(denied);
  CertificateSigningRequest failed = Approved(base);
  AddCondition(&failed, "Failed");
  cases.push_back(failed);
  CertificateSigningRequest foreign = Approved(base);
  foreign.mutable_spec()->set_signer_name("example.com/custom");
  cases.push_back(foreign);
  CertificateSigningRequest done = Approved(base);
  done.mutable_status()->set_certificate("-----BEGIN CERTIFICATE-----\n");
  cases.push_back(done);
  for (const CertificateSigningRequest& csr : cases) {
    EXPECT_TRUE(signer_->Handle(csr).ok());
  }
  EXPECT_TRUE(client_.statuses.empty());
}

TEST_F(CsrSignerTest, ExpirationSecondsShortensTheCertificate) {
  CertificateSigningRequest csr = Approved(MakeCsr(
      "short", NodeRequest(), kKubeApiServerClientKubeletSignerName, kClientUsages, "x", {}));
  csr.mutable_spec()->set_expiration_seconds(3600);
  const absl::Time before = absl::Now();
  std::optional<pki::Certificate> cert = SignedCertificate(csr);
  ASSERT_TRUE(cert.has_value());
  // Shorter than 8h: the end is not backdated.
  EXPECT_GE(cert->NotAfter(), before + absl::Hours(1) - absl::Seconds(2));
  EXPECT_LE(cert->NotAfter(), absl::Now() + absl::Hours(1) + absl::Seconds(1));
}

TEST(CertificateDuration, AsKubernetes) {
  const absl::Duration max = absl::Hours(8760);
  EXPECT_EQ(CertificateDuration(std::nullopt, max), max);
  EXPECT_EQ(CertificateDuration(3600, max), absl::Hours(1));
  EXPECT_EQ(CertificateDuration(60, max), absl::Minutes(10));
  EXPECT_EQ(CertificateDuration(3600, absl::Minutes(30)), absl::Minutes(30));
}

TEST(CsrSigner, NoCertificateOutlivesTheCa) {
  absl::StatusOr<pki::CertificateAuthority> ca =
      pki::CreateSelfSignedCa({.validity = absl::Hours(2)});
  ASSERT_TRUE(ca.ok()) << ca.status();
  const absl::Time ca_end = ca->cert.NotAfter();
  FakeCsrClient client;
  CsrSigner signer(*std::move(ca), &client);
  ASSERT_TRUE(
      signer
          .Handle(Approved(MakeCsr("n", NodeRequest(), kKubeApiServerClientKubeletSignerName,
                                   kClientUsages, "x", {})))
          .ok());
  ASSERT_EQ(client.statuses.size(), 1u);
  absl::StatusOr<pki::Certificate> cert =
      pki::Certificate::FromPem(client.statuses[0].status().certificate());
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_LE(cert->NotAfter(), ca_end);
  EXPECT_GE(cert->NotAfter(), ca_end - absl::Minutes(1));
}

TEST(CsrSigner, FromFilesChecksTheCa) {
  minik8s::testing::TempDir dir;
  absl::StatusOr<pki::CertificateAuthority> ca = pki::CreateSelfSignedCa();
  absl::StatusOr<pki::CertificateAuthority> other = pki::CreateSelfSignedCa();
  ASSERT_TRUE(ca.ok() && other.ok());
  ASSERT_TRUE(pki::WriteCertificateFile(dir.Join("ca.crt"), ca->cert).ok());
  ASSERT_TRUE(pki::WritePrivateKeyFile(dir.Join("ca.key"), ca->key).ok());
  ASSERT_TRUE(pki::WritePrivateKeyFile(dir.Join("other.key"), other->key).ok());
  FakeCsrClient client;
  EXPECT_TRUE(CsrSigner::FromFiles(dir.Join("ca.crt"), dir.Join("ca.key"), &client).ok());
  absl::StatusOr<std::unique_ptr<CsrSigner>> mismatched =
      CsrSigner::FromFiles(dir.Join("ca.crt"), dir.Join("other.key"), &client);
  EXPECT_TRUE(absl::IsInvalidArgument(mismatched.status())) << mismatched.status();
  absl::StatusOr<std::unique_ptr<CsrSigner>> missing =
      CsrSigner::FromFiles(dir.Join("nope.crt"), dir.Join("ca.key"), &client);
  EXPECT_TRUE(absl::IsInvalidArgument(missing.status())) << missing.status();
}

}  // namespace
}  // namespace minik8s::controllers
