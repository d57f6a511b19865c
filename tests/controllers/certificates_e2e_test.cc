// The certificate controllers end to end: minik8s-apiserver over TLS with
// --authorization-mode=RBAC and a static token file, and
// minik8s-controller-manager (csrapproving, csrsigning) with its own client
// certificate and the cluster CA as --cluster-signing-cert-file/-key-file.
// A joining kubelet's identity (system:bootstrap:<id> in
// system:bootstrappers, bound here to create certificatesigningrequests/
// nodeclient) creates a CSR for CN=system:node:node-9, O=system:nodes: it
// gets Approved (AutoApproved) and a certificate that chains to the CA with
// that subject, which the apiserver then authenticates as the node. A CSR
// for a non-node subject, and a node CSR from an identity without
// nodeclient, stay Pending. Skips when the binaries are not built.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "api/errors.h"
#include "client/clientset.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/rbac/v1/rbac.pb.h"
#include "pki/cluster_pki.h"
#include "pki/csr.h"
#include "pki/key.h"
#include "pki/pem_file.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace minik8s::controllers {
namespace {

using minik8s::certificates::v1::CertificateSigningRequest;
using minik8s::testing::BackendKind;
using minik8s::testing::ControlPlane;

constexpr char kKubeletClientSigner[] = "kubernetes.io/kube-apiserver-client-kubelet";

class CertificatesE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(
            BackendKind::kMinik8sStore, {"minik8s-apiserver", "minik8s-controller-manager"});
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    const std::string tokens = dir_.Join("tokens.csv");
    ASSERT_TRUE(testing::WriteFile(tokens,
                                   "joiner-token,system:bootstrap:abcdef,joiner-uid,"
                                   "\"system:bootstrappers\"\n"
                                   "mallory-token,mallory,mallory-uid,\"dev\"\n")
                    .ok());
    cp_ = std::make_unique<ControlPlane>(ControlPlane::Options{
        .apiserver_flags = {"--token-auth-file=" + tokens, "--authorization-mode=RBAC"},
        .pki = pki::ClusterPkiOptions{}});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    admin_ = cp_->clientset();
    // The bootstrap policy is in place once the admin sees it.
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          return admin_->For<rbac::v1::ClusterRole>()
              .Get("", "system:kube-controller-manager")
              .ok();
        },
        absl::Seconds(20)));
    GrantCsrRights();
    joiner_ = Connect({.bearer_token = "joiner-token"});
    mallory_ = Connect({.bearer_token = "mallory-token"});
    ASSERT_TRUE(cp_->StartControllerManager({"--leader-elect=false",
                                             "--controllers=csrapproving,csrsigning",
                                             "--cluster-signing-cert-file", cp_->pki().ca.cert,
                                             "--cluster-signing-key-file", cp_->pki().ca.key})
                    .ok());
  }

  struct Identity {
    std::string bearer_token;
    std::string cert_file, key_file;
  };
  std::unique_ptr<client::Clientset> Connect(const Identity& who) {
    client::ApiClientOptions o;
    o.server = cp_->apiserver_address();
    o.bearer_token = who.bearer_token;
    o.tls = TlsClientFiles{
        .ca_file = cp_->pki().ca.cert, .cert_file = who.cert_file, .key_file = who.key_file};
    auto cs = client::Clientset::Connect(o);
    EXPECT_TRUE(cs.ok()) << cs.status();
    return cs.ok() ? *std::move(cs) : nullptr;
  }

  // What the test's requesters need: both may create and read CSRs (as
  // system:node-bootstrapper grants); only system:bootstrappers may ask
  // for node client certificates (as kubeadm binds nodeclient).
  void GrantCsrRights() {
    rbac::v1::ClusterRole requester;
    requester.mutable_metadata()->set_name("e2e:csr-requester");
    auto* rule = requester.add_rules();
    rule->add_api_groups("certificates.k8s.io");
    rule->add_resources("certificatesigningrequests");
    for (const char* verb : {"create", "get", "list", "watch"}) rule->add_verbs(verb);
    rbac::v1::ClusterRole nodeclient;
    nodeclient.mutable_metadata()->set_name("e2e:nodeclient");
    rule = nodeclient.add_rules();
    rule->add_api_groups("certificates.k8s.io");
    rule->add_resources("certificatesigningrequests/nodeclient");
    rule->add_verbs("create");
    for (const auto* role : {&requester, &nodeclient}) {
      auto created = admin_->For<rbac::v1::ClusterRole>().Create(*role);
      ASSERT_TRUE(created.ok()) << created.status();
    }
    Bind("e2e:csr-requester", "e2e:csr-requester",
         {{"Group", "system:bootstrappers"}, {"User", "mallory"}});
    Bind("e2e:nodeclient", "e2e:nodeclient", {{"Group", "system:bootstrappers"}});
  }

  void Bind(const std::string& name, const std::string& role,
            const std::vector<std::pair<std::string, std::string>>& subjects) {
    rbac::v1::ClusterRoleBinding binding;
    binding.mutable_metadata()->set_name(name);
    binding.mutable_role_ref()->set_api_group("rbac.authorization.k8s.io");
    binding.mutable_role_ref()->set_kind("ClusterRole");
    binding.mutable_role_ref()->set_name(role);
    for (const auto& [kind, subject] : subjects) {
      auto* s = binding.add_subjects();
      s->set_kind(kind);
      s->set_name(subject);
      s->set_api_group("rbac.authorization.k8s.io");
    }
    auto created = admin_->For<rbac::v1::ClusterRoleBinding>().Create(binding);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  // Creates CSR `name` for `request` as `who`; `key` receives the new key.
  void CreateCsr(client::Clientset* who, const std::string& name, const pki::CsrRequest& request,
                 std::optional<pki::PrivateKey>* key = nullptr) {
    absl::StatusOr<pki::PrivateKey> k = pki::PrivateKey::Generate();
    ASSERT_TRUE(k.ok());
    absl::StatusOr<std::string> pem = pki::CreateCsr(*k, request);
    ASSERT_TRUE(pem.ok()) << pem.status();
    CertificateSigningRequest csr;
    csr.mutable_metadata()->set_name(name);
    csr.mutable_spec()->set_request(*pem);
    csr.mutable_spec()->set_signer_name(kKubeletClientSigner);
    for (const char* u : {"digital signature", "key encipherment", "client auth"}) {
      csr.mutable_spec()->add_usages(u);
    }
    auto created = who->For<CertificateSigningRequest>().Create(csr);
    ASSERT_TRUE(created.ok()) << created.status();
    if (key != nullptr) *key = *std::move(k);
  }

  CertificateSigningRequest Get(const std::string& name) {
    auto csr = admin_->For<CertificateSigningRequest>().Get("", name);
    EXPECT_TRUE(csr.ok()) << csr.status();
    return csr.ok() ? *csr : CertificateSigningRequest();
  }

  std::string Logs() { return cp_->LogTail("controller-manager-0.log"); }

  testing::TempDir dir_;  // the token file, the signed node certificate
  std::unique_ptr<ControlPlane> cp_;
  client::Clientset* admin_ = nullptr;
  std::unique_ptr<client::Clientset> joiner_, mallory_;
};

TEST_F(CertificatesE2E, ANodeClientCsrIsApprovedAndSignedOthersStayPending) {
  // First the ones that must stay pending, then the one that gets signed:
  // once it is signed, the controllers have seen the others too.
  ASSERT_NO_FATAL_FAILURE(
      CreateCsr(joiner_.get(), "not-a-node", {.common_name = "alice", .organizations = {"dev"}}));
  ASSERT_NO_FATAL_FAILURE(
      CreateCsr(mallory_.get(), "mallory-node",
                {.common_name = "system:node:node-8", .organizations = {"system:nodes"}}));
  std::optional<pki::PrivateKey> key;
  ASSERT_NO_FATAL_FAILURE(
      CreateCsr(joiner_.get(), "node-csr-node-9",
                {.common_name = "system:node:node-9", .organizations = {"system:nodes"}}, &key));
  EXPECT_EQ(Get("node-csr-node-9").spec().username(), "system:bootstrap:abcdef")
      << "the apiserver stamps the requester";

  CertificateSigningRequest signed_csr;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        signed_csr = Get("node-csr-node-9");
        return !signed_csr.status().certificate().empty();
      },
      absl::Seconds(30)))
      << signed_csr.DebugString() << Logs();
  ASSERT_EQ(signed_csr.status().conditions_size(), 1) << signed_csr.DebugString();
  const auto& approved = signed_csr.status().conditions(0);
  EXPECT_EQ(approved.type(), "Approved");
  EXPECT_EQ(approved.status(), "True");
  EXPECT_EQ(approved.reason(), "AutoApproved");
  EXPECT_EQ(approved.message(),
            "Auto approving kubelet client certificate after SubjectAccessReview.");

  absl::StatusOr<pki::Certificate> cert =
      pki::Certificate::FromPem(signed_csr.status().certificate());
  ASSERT_TRUE(cert.ok()) << cert.status();
  absl::StatusOr<pki::Certificate> ca = pki::LoadCertificateFile(cp_->pki().ca.cert);
  ASSERT_TRUE(ca.ok());
  EXPECT_TRUE(cert->VerifySignedBy(*ca).ok());
  EXPECT_EQ(cert->CommonName(), "system:node:node-9");
  EXPECT_EQ(cert->Organizations(), std::vector<std::string>{"system:nodes"});
  EXPECT_TRUE(cert->HasClientAuth());
  EXPECT_FALSE(cert->HasServerAuth());
  EXPECT_TRUE(cert->MatchesKey(*key));

  // The apiserver takes the new certificate as the node (RBAC alone here:
  // the node may not list pods, and the refusal names it).
  ASSERT_TRUE(pki::WriteCertificateFile(dir_.Join("node-9.crt"), *cert).ok());
  ASSERT_TRUE(pki::WritePrivateKeyFile(dir_.Join("node-9.key"), *key).ok());
  std::unique_ptr<client::Clientset> node =
      Connect({.cert_file = dir_.Join("node-9.crt"), .key_file = dir_.Join("node-9.key")});
  ASSERT_NE(node, nullptr);
  auto pods = node->Pods().List("default");
  EXPECT_TRUE(absl::StrContains(pods.status().message(), "User \"system:node:node-9\""))
      << pods.status();

  // Let the controllers settle, then the other two are still pending.
  absl::SleepFor(absl::Seconds(2));
  for (const char* name : {"not-a-node", "mallory-node"}) {
    CertificateSigningRequest pending = Get(name);
    EXPECT_EQ(pending.status().conditions_size(), 0) << name << pending.DebugString();
    EXPECT_TRUE(pending.status().certificate().empty()) << name;
  }
}

}  // namespace
}  // namespace minik8s::controllers
