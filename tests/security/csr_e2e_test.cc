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
#include <unistd.h>

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
#include "pki/issue.h"
#include "pki/key.h"
#include "pki/pem_file.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
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
    if (std::string why = ControlPlane::MissingPrerequisite(BackendKind::kMinik8sStore);
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    kubectl_ = testing::FindOnPath("kubectl");
    if (kubectl_.empty()) GTEST_SKIP() << "kubectl is not installed";
    mkctl_ = testing::BinPath("mkctl");
    if (access(mkctl_.c_str(), X_OK) != 0) GTEST_SKIP() << "mkctl is not built";
    auto made = pki::EnsureClusterPki(dir_.Join("pki"), {});
    ASSERT_TRUE(made.ok()) << made.status();
    pki_ = *made;
    cp_ = std::make_unique<ControlPlane>(ControlPlane::Options{
        .backend = BackendKind::kMinik8sStore,
        .apiserver_flags = {"--tls-cert-file=" + pki_.apiserver.cert,
                            "--tls-private-key-file=" + pki_.apiserver.key,
                            "--client-ca-file=" + pki_.ca.cert, "--authorization-mode=RBAC"},
        .tls = TlsClientFiles{
            .ca_file = pki_.ca.cert, .cert_file = pki_.admin.cert, .key_file = pki_.admin.key}});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    admin_ = Kubeconfig("admin", {pki_.admin.cert, pki_.admin.key});
    jane_ = Kubeconfig("jane", IssueUser("jane", {"devs"}));
    carol_ = Kubeconfig("carol", IssueUser("carol", {}));
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

  // A client certificate for `name` in `groups`, signed by the cluster CA.
  pki::CertKeyPaths IssueUser(const std::string& name, std::vector<std::string> groups) {
    auto cert = pki::LoadCertificateFile(pki_.ca.cert);
    auto key = pki::LoadPrivateKeyFile(pki_.ca.key);
    EXPECT_TRUE(cert.ok() && key.ok());
    pki::CertificateAuthority ca{*std::move(cert), *std::move(key)};
    auto issued = pki::IssueWithNewKey(ca, pki::ClientSpec(name, std::move(groups)));
    EXPECT_TRUE(issued.ok()) << issued.status();
    pki::CertKeyPaths paths{dir_.Join(name + ".crt"), dir_.Join(name + ".key")};
    EXPECT_TRUE(pki::WriteCertificateFile(paths.cert, issued->cert).ok());
    EXPECT_TRUE(pki::WritePrivateKeyFile(paths.key, issued->key).ok());
    return paths;
  }

  std::string Kubeconfig(const std::string& name, const pki::CertKeyPaths& user) {
    const std::string text = absl::StrCat(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://",
        cp_->apiserver_address(), "\n    certificate-authority: ", pki_.ca.cert,
        "\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n"
        "current-context: c\nusers:\n- name: u\n  user:\n    client-certificate: ",
        user.cert, "\n    client-key: ", user.key, "\n");
    const std::string path = dir_.Join(name + ".conf");
    EXPECT_TRUE(testing::WriteFile(path, text).ok());
    return path;
  }

  int Kubectl(const std::string& config, std::vector<std::string> args, std::string* out) {
    std::vector<std::string> argv = {kubectl_, "--kubeconfig", config};
    std::vector<std::string> cache = cp_->KubectlCacheFlags();
    argv.insert(argv.end(), cache.begin(), cache.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, out, absl::Seconds(30));
  }

  int Mkctl(const std::string& config, std::vector<std::string> args, std::string* out) {
    std::vector<std::string> argv = {mkctl_, "--kubeconfig", config};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, out, absl::Seconds(30));
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

  testing::TempDir dir_;
  pki::ClusterPkiPaths pki_;
  std::string kubectl_, mkctl_, admin_, jane_, carol_;
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
    auto carol =
        client::ApiClient::Connect({.server = cp_->apiserver_address(),
                                    .tls = TlsClientFiles{.ca_file = pki_.ca.cert,
                                                          .cert_file = dir_.Join("carol.crt"),
                                                          .key_file = dir_.Join("carol.key")}});
    ASSERT_TRUE(carol.ok()) << carol.status();
    auto ca = pki::LoadCertificateFile(pki_.ca.cert);
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
