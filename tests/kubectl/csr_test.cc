// CertificateSigningRequests in mkctl: the `get csr` columns and CONDITION
// cell (kubectl 1.32's printCertificateSigningRequest) and `describe csr`
// (kubectl's describer).
#include "pki/csr.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/scheme.h"
#include "gtest/gtest.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "kubectl/printers/describe_certificates.h"
#include "pki/key.h"
#include "printers/registry.h"

namespace minik8s::kubectl {
namespace {

using certificates::v1::CertificateSigningRequest;

const absl::Time kNow = absl::FromUnixSeconds(1764950400);  // 2025-12-05 16:00:00 UTC

CertificateSigningRequest Csr() {
  auto key = pki::PrivateKey::Generate();
  EXPECT_TRUE(key.ok());
  auto pem = pki::CreateCsr(*key, {.common_name = "system:node:node-1",
                                   .organizations = {"system:nodes"},
                                   .dns_names = {"node-1", "node-1.local"},
                                   .ip_addresses = {"10.0.0.7"}});
  EXPECT_TRUE(pem.ok());
  CertificateSigningRequest csr;
  csr.mutable_metadata()->set_name("node-csr-x");
  csr.mutable_metadata()->mutable_creation_timestamp()->set_seconds(
      absl::ToUnixSeconds(kNow - absl::Minutes(5)));
  csr.mutable_spec()->set_request(*pem);
  csr.mutable_spec()->set_signer_name("kubernetes.io/kube-apiserver-client-kubelet");
  csr.mutable_spec()->set_username("system:bootstrap:abcdef");
  return csr;
}

void Add(CertificateSigningRequest* csr, const std::string& type) {
  auto* c = csr->mutable_status()->add_conditions();
  c->set_type(type);
  c->set_status("True");
}

std::vector<std::string> Cells(const CertificateSigningRequest& csr) {
  const api::KindInfo* kind = api::Scheme::Default().FindByResource("certificatesigningrequests");
  const printers::KindPrinter& printer = printers::PrinterFor(*kind);
  std::vector<std::string> out;
  for (const printers::Cell& cell : printer.row(csr, kNow).cells) {
    out.push_back(printers::CellText(cell));
  }
  return out;
}

TEST(CsrTable, ColumnsAndConditionAsKubectl) {
  const api::KindInfo* kind = api::Scheme::Default().FindByResource("certificatesigningrequests");
  ASSERT_NE(kind, nullptr);
  EXPECT_EQ(kind->short_names, std::vector<std::string>{"csr"});
  std::vector<std::string> names;
  for (const auto& c : printers::PrinterFor(*kind).columns) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Name", "Age", "SignerName", "Requestor",
                                             "RequestedDuration", "Condition"}));

  CertificateSigningRequest csr = Csr();
  EXPECT_EQ(Cells(csr), (std::vector<std::string>{"node-csr-x", "5m",
                                                  "kubernetes.io/kube-apiserver-client-kubelet",
                                                  "system:bootstrap:abcdef", "<none>", "Pending"}));
  csr.mutable_spec()->set_expiration_seconds(86400);
  csr.mutable_spec()->clear_signer_name();
  Add(&csr, "Approved");
  std::vector<std::string> cells = Cells(csr);
  EXPECT_EQ(cells[2], "<none>");
  EXPECT_EQ(cells[4], "24h");
  EXPECT_EQ(cells[5], "Approved");
  csr.mutable_status()->set_certificate("x");
  EXPECT_EQ(Cells(csr)[5], "Approved,Issued");
  Add(&csr, "Failed");
  EXPECT_EQ(Cells(csr)[5], "Approved,Failed,Issued");
  Add(&csr, "Denied");  // Denied wins, as kubectl prints it
  EXPECT_EQ(Cells(csr)[5], "Denied,Failed,Issued");
  EXPECT_EQ(CsrCondition(csr), "Denied,Failed,Issued");
}

TEST(CsrDescribe, AsKubectl) {
  CertificateSigningRequest csr = Csr();
  csr.mutable_spec()->set_expiration_seconds(3600);
  Add(&csr, "Approved");
  absl::StatusOr<std::string> text = DescribeCertificateSigningRequest(csr, {}, kNow);
  ASSERT_TRUE(text.ok()) << text.status();
  // Go's tabwriter (kubectl's) aligns each run of lines with tabs on its own:
  // a line without one ("Subject:") ends a block.
  EXPECT_EQ(*text,
            "Name:                node-csr-x\n"
            "Labels:              <none>\n"
            "Annotations:         <none>\n"
            "CreationTimestamp:   Fri, 05 Dec 2025 15:55:00 +0000\n"
            "Requesting User:     system:bootstrap:abcdef\n"
            "Signer:              kubernetes.io/kube-apiserver-client-kubelet\n"
            "Requested Duration:  60m\n"
            "Status:              Approved\n"
            "Subject:\n"
            "  Common Name:    system:node:node-1\n"
            "  Serial Number:  \n"
            "  Organization:   system:nodes\n"
            "Subject Alternative Names:\n"
            "         DNS Names:     node-1\n"
            "                        node-1.local\n"
            "         IP Addresses:  10.0.0.7\n"
            "Events:  <none>\n");
  csr.mutable_spec()->set_request("garbage");
  EXPECT_EQ(DescribeCertificateSigningRequest(csr, {}, kNow).status().message(),
            "Error parsing CSR: PEM block type must be CERTIFICATE REQUEST");
}

}  // namespace
}  // namespace minik8s::kubectl
