// CertificateSigningRequests end to end: minik8s-apiserver over TLS with
// client certificates and --authorization-mode=RBAC. A user bound to
// system:node-bootstrapper creates requests with the real kubectl; the
// apiserver records her as the requester whatever the manifest says. A user
// who may update the approval subresource but has no `approve` on the
// signer is refused with Kubernetes' 403 (kubectl and mkctl), as is signing
// through status without `sign`. The admin approves and denies with mkctl
// and with the real kubectl, and `kubectl get csr`, `mkctl get csr` and
// `mkctl describe csr` show the result. Skips when the binaries or kubectl
// are missing.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/errors.h"
#include "client/api_client.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "k8s/rbac/v1/rbac.pb.h"
#include "pki/cluster_pki.h"
#include "pki/csr.h"
#include "pki/key.h"
#include "pki/pem_file.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"
#include "testing/store_backend.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace minik8s::apiserver {
namespace {

using certificates::v1::CertificateSigningRequest;
using minik8s::testing::BackendKind;
using minik8s::testing::ControlPlane;

constexpr char kSigner[] = "kubernetes.io/kube-apiserver-client";

// jane may create CSRs; carol may update their approval (and status) but
// approve and sign for no signer.
constexpr char kPolicy[] = R"(apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: csr-requesters
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:node-bootstrapper
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: jane
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: csr-updater
rules:
- apiGroups: ["certificates.k8s.io"]
  resources: ["certificatesigningrequests"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["certificates.k8s.io"]
  resources: ["certificatesigningrequests/approval", "certificatesigningrequests/status"]
  verbs: ["update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: csr-updater
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: csr-updater
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: carol
)";

class CsrE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(BackendKind::kMinik8sStore,
                                                            {"minik8s-apiserver", "mkctl"});
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    if (testing::FindOnPath("kubectl").empty()) GTEST_SKIP() << "kubectl is not installed";
    cp_ = std::make_unique<ControlPlane>(ControlPlane::Options{
        .apiserver_flags = {"--authorization-mode=RBAC"}, .pki = pki::ClusterPkiOptions{}});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    admin_ = cp_->admin_kubeconfig();
    pki::CertKeyPaths jane_cert;
    ASSERT_NO_FATAL_FAILURE(AddUser("jane", {"devs"}, &jane_, &jane_cert));
    ASSERT_NO_FATAL_FAILURE(AddUser("carol", {}, &carol_, &carol_cert_));
    std::string out;
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          return Kubectl(admin_, {"get", "clusterrole", "system:node-bootstrapper"}, &out) == 0;
        },
        absl::Seconds(20)))
        << out;
    const std::string policy = dir_.Join("policy.yaml");
    ASSERT_TRUE(testing::WriteFile(policy, kPolicy).ok());
    ASSERT_EQ(Kubectl(admin_, {"apply", "-f", policy}, &out), 0) << out;
    // RBAC sees the bindings once jane may list requests.
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          return Kubectl(jane_, {"get", "csr"}, &out) == 0;
        },
        absl::Seconds(20)))
        << out;
  }

  // A new user `name` in `groups`: a client certificate of the cluster CA
  // (*cert) and a kubeconfig presenting it (*config).
  void AddUser(const std::string& name, std::vector<std::string> groups, std::string* config,
               pki::CertKeyPaths* cert) {
    absl::StatusOr<pki::CertKeyPaths> issued = cp_->IssueClientCertificate(name, std::move(groups));
    ASSERT_TRUE(issued.ok()) << issued.status();
    *cert = *issued;
    absl::StatusOr<std::string> path = cp_->WriteKubeconfig(name + ".conf", *cert);
    ASSERT_TRUE(path.ok()) << path.status();
    *config = *path;
  }

  int Kubectl(const std::string& config, std::vector<std::string> args, std::string* out) {
    return cp_->Kubectl(config, args, out);
  }

  int Mkctl(const std::string& config, std::vector<std::string> args, std::string* out) {
    return cp_->Mkctl(config, args, out);
  }

  // jane creates request `name` with kubectl, claiming to be the admin.
  void CreateAsJane(const std::string& name) {
    auto key = pki::PrivateKey::Generate();
    ASSERT_TRUE(key.ok());
    auto pem = pki::CreateCsr(*key, {.common_name = "jane", .organizations = {"devs"}});
    ASSERT_TRUE(pem.ok());
    const std::string manifest = absl::StrCat(
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: ",
        name, "\nspec:\n  request: ", absl::Base64Escape(*pem), "\n  signerName: ", kSigner,
        "\n  expirationSeconds: 3600\n  usages: [\"digital signature\", \"client auth\"]\n"
        "  username: kubernetes-admin\n  groups: [\"system:masters\"]\n");
    const std::string path = dir_.Join(name + ".yaml");
    ASSERT_TRUE(testing::WriteFile(path, manifest).ok());
    std::string out;
    ASSERT_EQ(Kubectl(jane_, {"create", "-f", path}, &out), 0) << out;
    EXPECT_EQ(out,
              absl::StrCat("certificatesigningrequest.certificates.k8s.io/", name, " created\n"));
  }

  CertificateSigningRequest Get(const std::string& name) {
    CertificateSigningRequest csr;
    absl::Status st = cp_->clientset()->api()->Get("certificatesigningrequests", "", name, &csr);
    EXPECT_TRUE(st.ok()) << st;
    return csr;
  }

  testing::TempDir dir_;  // the policy and the requests' manifests
  std::string admin_, jane_, carol_;
  pki::CertKeyPaths carol_cert_;
  std::unique_ptr<ControlPlane> cp_;
};

std::vector<std::string> Words(const std::string& line) {
  return absl::StrSplit(line, ' ', absl::SkipEmpty());
}

TEST_F(CsrE2E, RequestApproveDenyAndWhoMay) {
  CreateAsJane("csr-jane");
  // The requester is the caller, not what the manifest claimed.
  CertificateSigningRequest csr = Get("csr-jane");
  EXPECT_EQ(csr.spec().username(), "jane");
  EXPECT_EQ(std::vector<std::string>(csr.spec().groups().begin(), csr.spec().groups().end()),
            (std::vector<std::string>{"devs", "system:authenticated"}));
  EXPECT_EQ(csr.status().conditions_size(), 0);

  std::string out;
  ASSERT_EQ(Kubectl(jane_, {"get", "csr"}, &out), 0) << out;
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << out;
  EXPECT_EQ(Words(lines[0]), (std::vector<std::string>{"NAME", "AGE", "SIGNERNAME", "REQUESTOR",
                                                       "REQUESTEDDURATION", "CONDITION"}));
  std::vector<std::string> row = Words(lines[1]);
  ASSERT_EQ(row.size(), 6u) << out;
  EXPECT_EQ(row[0], "csr-jane");
  EXPECT_EQ(row[2], kSigner);
  EXPECT_EQ(row[3], "jane");
  EXPECT_EQ(row[4], "60m");
  EXPECT_EQ(row[5], "Pending");

  // carol may update the approval subresource, but not approve for the signer.
  const std::string refused = absl::StrCat(
      "Error from server (Forbidden): certificatesigningrequests.certificates.k8s.io "
      "\"csr-jane\" is forbidden: user not permitted to approve requests with signerName \"",
      kSigner, "\"\n");
  EXPECT_EQ(Kubectl(carol_, {"certificate", "approve", "csr-jane"}, &out), 1) << out;
  EXPECT_EQ(out, refused);
  EXPECT_EQ(Mkctl(carol_, {"certificate", "approve", "csr-jane"}, &out), 1) << out;
  EXPECT_EQ(out, refused);
  EXPECT_EQ(Get("csr-jane").status().conditions_size(), 0);

  // The admin approves with mkctl.
  EXPECT_EQ(Mkctl(admin_, {"certificate", "approve", "csr-jane"}, &out), 0) << out;
  EXPECT_EQ(out, "certificatesigningrequest.certificates.k8s.io/csr-jane approved\n");
  csr = Get("csr-jane");
  ASSERT_EQ(csr.status().conditions_size(), 1);
  EXPECT_EQ(csr.status().conditions(0).type(), "Approved");
  EXPECT_EQ(csr.status().conditions(0).status(), "True");
  EXPECT_EQ(csr.status().conditions(0).reason(), "KubectlApprove");
  EXPECT_TRUE(csr.status().conditions(0).has_last_transition_time());
  EXPECT_EQ(csr.spec().username(), "jane");
  ASSERT_EQ(Kubectl(admin_, {"get", "csr", "csr-jane", "--no-headers"}, &out), 0) << out;
  EXPECT_EQ(Words(std::string(absl::StripSuffix(out, "\n"))).back(), "Approved") << out;
  ASSERT_EQ(Mkctl(admin_, {"get", "csr", "csr-jane", "--no-headers"}, &out), 0) << out;
  EXPECT_EQ(Words(std::string(absl::StripSuffix(out, "\n"))).back(), "Approved") << out;
  ASSERT_EQ(Mkctl(admin_, {"describe", "csr", "csr-jane"}, &out), 0) << out;
  // Aligned as Go's tabwriter aligns kubectl's: the widest label and two spaces.
  for (const auto& [label, value] :
       std::vector<std::pair<std::string, std::string>>{{"Requesting User:", "jane"},
                                                        {"Signer:", kSigner},
                                                        {"Requested Duration:", "60m"},
                                                        {"Status:", "Approved"}}) {
    EXPECT_TRUE(absl::StrContains(out, absl::StrFormat("\n%-21s%s\n", label, value))) << out;
  }
  EXPECT_TRUE(absl::StrContains(out, "Common Name:    jane\n")) << out;
  // Approving again changes nothing and says so; denying is refused.
  EXPECT_EQ(Mkctl(admin_, {"certificate", "approve", "csr-jane"}, &out), 0) << out;
  EXPECT_EQ(out, "certificatesigningrequest.certificates.k8s.io/csr-jane approved\n");
  EXPECT_EQ(Get("csr-jane").status().conditions_size(), 1);
  EXPECT_EQ(Mkctl(admin_, {"certificate", "deny", "csr-jane"}, &out), 1) << out;
  EXPECT_EQ(out, "error: certificate signing request \"csr-jane\" is already Approved\n");

  // carol may update status, but not set a certificate without `sign`.
  {
    auto carol = client::ApiClient::Connect({.server = cp_->apiserver_address(),
                                             .tls = TlsClientFiles{.ca_file = cp_->pki().ca.cert,
                                                                   .cert_file = carol_cert_.cert,
                                                                   .key_file = carol_cert_.key}});
    ASSERT_TRUE(carol.ok()) << carol.status();
    auto ca = pki::LoadCertificateFile(cp_->pki().ca.cert);
    ASSERT_TRUE(ca.ok());
    CertificateSigningRequest issued = Get("csr-jane");
    issued.mutable_status()->set_certificate(*ca->ToPem());
    CertificateSigningRequest answer;
    absl::Status st =
        (*carol)->Update("certificatesigningrequests", "", "csr-jane", "status", issued, &answer);
    EXPECT_EQ(api::Reason(st), "Forbidden") << st;
    EXPECT_EQ(st.message(),
              absl::StrCat("certificatesigningrequests.certificates.k8s.io \"csr-jane\" is "
                           "forbidden: user not permitted to sign requests with signerName \"",
                           kSigner, "\""));
  }

  // The real kubectl approves and denies as well.
  CreateAsJane("csr-two");
  CreateAsJane("csr-three");
  EXPECT_EQ(Kubectl(admin_, {"certificate", "approve", "csr-two"}, &out), 0) << out;
  EXPECT_EQ(out, "certificatesigningrequest.certificates.k8s.io/csr-two approved\n");
  EXPECT_EQ(Kubectl(admin_, {"certificate", "deny", "csr-three"}, &out), 0) << out;
  EXPECT_EQ(out, "certificatesigningrequest.certificates.k8s.io/csr-three denied\n");
  EXPECT_EQ(Get("csr-two").status().conditions(0).type(), "Approved");
  EXPECT_EQ(Get("csr-three").status().conditions(0).reason(), "KubectlDeny");
  ASSERT_EQ(Kubectl(jane_, {"get", "csr", "--no-headers"}, &out), 0) << out;
  std::vector<std::string> conditions;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    conditions.push_back(Words(std::string(line)).back());
  }
  EXPECT_EQ(conditions, (std::vector<std::string>{"Approved", "Denied", "Approved"})) << out;
}

}  // namespace
}  // namespace minik8s::apiserver
