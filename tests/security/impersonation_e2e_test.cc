// Impersonation and `auth can-i --list` end to end, with the real kubectl
// next to mkctl: minik8s-apiserver over TLS with --authorization-mode=RBAC,
// the admin by client certificate (O=system:masters) and bob by bearer
// token (--token-auth-file). bob may read pods in "default" (a Role and a
// RoleBinding). The admin acting as bob (--as bob) is refused what bob is
// refused, with bob named in Kubernetes' message, and the audit log keeps
// both; bob may not impersonate (403 with Kubernetes' message); both tools
// print the same `auth can-i --list` table, for bob himself and for the
// admin --as bob. Skips when the binaries or kubectl are missing.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "client/api_client.h"
#include "pki/cluster_pki.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace minik8s::apiserver {
namespace {

using minik8s::testing::BackendKind;
using minik8s::testing::ControlPlane;

constexpr char kBobReadsPods[] = R"(apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  namespace: default
  name: pod-reader
rules:
- apiGroups: [""]
  resources: ["pods", "pods/log"]
  verbs: ["get", "watch", "list"]
- apiGroups: [""]
  resources: ["configmaps"]
  resourceNames: ["settings"]
  verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  namespace: default
  name: bob-reads-pods
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: pod-reader
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: bob
)";

class ImpersonationE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(BackendKind::kMinik8sStore,
                                                            {"minik8s-apiserver", "mkctl"});
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    if (testing::FindOnPath("kubectl").empty()) GTEST_SKIP() << "kubectl is not installed";
    const std::string tokens = dir_.Join("tokens.csv");
    ASSERT_TRUE(testing::WriteFile(tokens, "bob-token,bob,1001\n").ok());
    audit_ = dir_.Join("audit.log");
    cp_ = std::make_unique<ControlPlane>(ControlPlane::Options{
        .apiserver_flags = {"--token-auth-file=" + tokens, "--authorization-mode=RBAC",
                            "--audit-log-path=" + audit_},
        .pki = pki::ClusterPkiOptions{}});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    admin_config_ = cp_->admin_kubeconfig();
    absl::StatusOr<std::string> bob = cp_->WriteTokenKubeconfig("bob.conf", "bob-token");
    ASSERT_TRUE(bob.ok()) << bob.status();
    bob_config_ = *bob;
    // The bootstrap policy is in place once the admin can list it.
    std::string out;
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          return Kubectl(admin_config_, {"get", "clusterrole", "system:basic-user", "-o", "name"},
                         &out) == 0;
        },
        absl::Seconds(20)))
        << out;
    const std::string manifest = dir_.Join("bob.yaml");
    ASSERT_TRUE(testing::WriteFile(manifest, kBobReadsPods).ok());
    ASSERT_EQ(Kubectl(admin_config_, {"apply", "-f", manifest}, &out), 0) << out;
  }

  int Kubectl(const std::string& config, std::vector<std::string> args, std::string* out) {
    return cp_->Kubectl(config, args, out);
  }

  int Mkctl(const std::string& config, std::vector<std::string> args, std::string* out) {
    return cp_->Mkctl(config, args, out);
  }

  // Both tools, the same arguments: the same exit code and output.
  std::string Both(const std::string& config, const std::vector<std::string>& args, int code) {
    std::string k, m;
    EXPECT_EQ(Kubectl(config, args, &k), code) << k;
    EXPECT_EQ(Mkctl(config, args, &m), code) << m;
    EXPECT_EQ(m, k) << "mkctl and kubectl differ for " << absl::StrJoin(args, " ");
    return k;
  }

  testing::TempDir dir_;  // the token file, the audit log, bob's Role
  std::string audit_, admin_config_, bob_config_;
  std::unique_ptr<ControlPlane> cp_;
};

TEST_F(ImpersonationE2E, AdminActingAsBobIsRefusedWhatBobIsRefused) {
  // Allowed to bob: listing pods in default.
  EXPECT_EQ(Both(admin_config_, {"--as", "bob", "get", "pods", "-n", "default"}, 0),
            "No resources found in default namespace.\n");
  // Refused to bob, and the message names bob.
  const std::string refused =
      "Error from server (Forbidden): nodes is forbidden: User \"bob\" cannot list resource "
      "\"nodes\" in API group \"\" at the cluster scope\n";
  EXPECT_EQ(Both(bob_config_, {"get", "nodes"}, 1), refused);
  EXPECT_EQ(Both(admin_config_, {"--as", "bob", "get", "nodes"}, 1), refused);
  // The admin itself still may.
  std::string out;
  EXPECT_EQ(Mkctl(admin_config_, {"get", "nodes"}, &out), 0) << out;
  // can-i answers for bob.
  EXPECT_EQ(Both(admin_config_, {"--as", "bob", "auth", "can-i", "delete", "pods"}, 1), "no\n");
  EXPECT_EQ(Both(admin_config_, {"--as", "bob", "auth", "can-i", "list", "pods"}, 0), "yes\n");
  // The audit log keeps the admin as the user and bob as impersonatedUser.
  std::string log;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        log = testing::ReadFile(audit_);
        return absl::StrContains(log, R"("impersonatedUser":{"username":"bob")");
      },
      absl::Seconds(5)));
  EXPECT_TRUE(absl::StrContains(
      log,
      R"("user":{"username":"kubernetes-admin","groups":["system:masters","system:authenticated"]},"impersonatedUser":{"username":"bob","groups":["system:authenticated"]})"))
      << log;
}

TEST_F(ImpersonationE2E, BobMayNotImpersonate) {
  const std::string refused =
      "Error from server (Forbidden): users \"alice\" is forbidden: User \"bob\" cannot "
      "impersonate resource \"users\" in API group \"\" at the cluster scope\n";
  EXPECT_EQ(Both(bob_config_, {"--as", "alice", "get", "pods"}, 1), refused);
  // A group asked for is checked too.
  EXPECT_EQ(Both(admin_config_, {"--as", "bob", "--as-group", "dev", "get", "pods"}, 0),
            "No resources found in default namespace.\n");
  EXPECT_EQ(Both(bob_config_, {"--as", "bob", "--as-group", "system:masters", "get", "pods"}, 1),
            "Error from server (Forbidden): users \"bob\" is forbidden: User \"bob\" cannot "
            "impersonate resource \"users\" in API group \"\" at the cluster scope\n");
}

TEST_F(ImpersonationE2E, GroupsWithoutUser) {
  // Both tools refuse before sending, naming the kubeconfig user.
  EXPECT_EQ(Both(admin_config_, {"--as-group", "dev", "get", "pods"}, 1),
            "error: requesting uid, groups or user-extra for u without impersonating a user\n");
  // The apiserver answers such a request as kube-apiserver does.
  const std::string curl = testing::FindOnPath("curl");
  if (curl.empty()) GTEST_SKIP() << "curl is not installed";
  const pki::ClusterPkiPaths& pki = cp_->pki();
  std::string out;
  ASSERT_EQ(testing::RunCommand(
                {curl, "-s", "--cacert", pki.ca.cert, "--cert", pki.admin.cert, "--key",
                 pki.admin.key, "-H", "Impersonate-Group: dev", "-w", "%{http_code}",
                 "https://" + cp_->apiserver_address() + "/api/v1/namespaces/default/pods"},
                &out),
            0);
  EXPECT_EQ(out,
            "Internal Server Error: \"/api/v1/namespaces/default/pods\": requested [{Group  dev "
            "   }] without impersonating a user\n500");
}

TEST_F(ImpersonationE2E, CanIListPrintsTheSameTable) {
  const std::string bob = Both(bob_config_, {"auth", "can-i", "--list"}, 0);
  EXPECT_TRUE(absl::StartsWith(bob, "Resources ")) << bob;
  EXPECT_TRUE(absl::StrContains(bob, "\npods/log ")) << bob;
  EXPECT_TRUE(absl::StrContains(bob, "[settings]")) << bob;
  EXPECT_TRUE(absl::StrContains(bob, "selfsubjectrulesreviews.authorization.k8s.io")) << bob;
  // The admin acting as bob sees bob's rules.
  EXPECT_EQ(Both(admin_config_, {"--as", "bob", "auth", "can-i", "--list"}, 0), bob);
  // Elsewhere bob has only the bootstrap rules; no headers on request.
  const std::string other =
      Both(bob_config_, {"auth", "can-i", "--list", "-n", "kube-system", "--no-headers"}, 0);
  EXPECT_FALSE(absl::StrContains(other, "pods")) << other;
  EXPECT_FALSE(absl::StrContains(other, "Resources")) << other;
  // The admin (system:masters, bound to cluster-admin) may do everything.
  const std::string admin = Both(admin_config_, {"auth", "can-i", "--list"}, 0);
  EXPECT_TRUE(absl::StrContains(admin, "\n*.* ")) << admin;
}

}  // namespace
}  // namespace minik8s::apiserver
