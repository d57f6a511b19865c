// RBAC with the real kubectl: minik8s-apiserver over TLS with client
// certificates (pki/cluster_pki.h) and --authorization-mode=RBAC. The
// admin's certificate (O=system:masters) lists the bootstrap ClusterRoles
// and applies a Role; the scheduler's (CN=system:kube-scheduler) may list
// nodes but deleting one is Forbidden with Kubernetes' message, and
// `kubectl auth can-i` answers for it. Skips when the binaries or kubectl
// are missing.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "client/api_client.h"
#include "k8s/core/v1/core.pb.h"
#include "pki/cluster_pki.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"
#include "testing/store_backend.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace minik8s::apiserver {
namespace {

using minik8s::testing::BackendKind;
using minik8s::testing::ControlPlane;

constexpr char kRole[] = R"(apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  namespace: default
  name: pod-reader
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "watch", "list"]
)";

class RbacKubectlE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(BackendKind::kMinik8sStore);
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    if (testing::FindOnPath("kubectl").empty()) GTEST_SKIP() << "kubectl is not installed";
    cp_ = std::make_unique<ControlPlane>(ControlPlane::Options{
        .apiserver_flags = {"--authorization-mode=RBAC"}, .pki = pki::ClusterPkiOptions{}});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    admin_ = cp_->admin_kubeconfig();
    scheduler_ = cp_->scheduler_kubeconfig();
  }

  int Kubectl(const std::string& kubeconfig, std::vector<std::string> args, std::string* out) {
    return cp_->Kubectl(kubeconfig, args, out);
  }

  testing::TempDir dir_;  // the manifests
  std::unique_ptr<ControlPlane> cp_;
  std::string admin_, scheduler_;  // kubeconfigs
};

TEST_F(RbacKubectlE2E, AdminManagesRolesAndTheSchedulerIsForbiddenToDeleteANode) {
  std::string out;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return Kubectl(admin_, {"get", "clusterroles", "-o", "name"}, &out) == 0 &&
               absl::StrContains(out, "clusterrole.rbac.authorization.k8s.io/system:node\n");
      },
      absl::Seconds(20)))
      << out;
  EXPECT_TRUE(absl::StrContains(out, "clusterrole.rbac.authorization.k8s.io/cluster-admin\n"))
      << out;
  const std::string role = dir_.Join("role.yaml");
  ASSERT_TRUE(testing::WriteFile(role, kRole).ok());
  EXPECT_EQ(Kubectl(admin_, {"apply", "-f", role}, &out), 0) << out;
  EXPECT_EQ(out, "role.rbac.authorization.k8s.io/pod-reader created\n");
  EXPECT_EQ(Kubectl(admin_, {"get", "clusterrolebinding", "system:kube-scheduler"}, &out), 0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "ClusterRole/system:kube-scheduler")) << out;

  core::v1::Node node;
  node.mutable_metadata()->set_name("node-1");
  ASSERT_TRUE(cp_->clientset()->Nodes().Create(node).ok());
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return Kubectl(scheduler_, {"get", "nodes", "-o", "name"}, &out) == 0;
      },
      absl::Seconds(20)))
      << out;
  EXPECT_EQ(out, "node/node-1\n");
  EXPECT_EQ(Kubectl(scheduler_, {"delete", "node", "node-1"}, &out), 1) << out;
  EXPECT_EQ(out,
            "Error from server (Forbidden): nodes \"node-1\" is forbidden: User "
            "\"system:kube-scheduler\" cannot delete resource \"nodes\" in API group \"\" at the "
            "cluster scope\n");
  // kubectl warns (on stderr) that nodes have no namespace, then answers.
  EXPECT_EQ(Kubectl(scheduler_, {"auth", "can-i", "delete", "nodes"}, &out), 1) << out;
  EXPECT_TRUE(absl::EndsWith(out, "\nno\n")) << out;
  EXPECT_EQ(Kubectl(scheduler_, {"auth", "can-i", "create", "pods", "--subresource=binding"}, &out),
            0)
      << out;
  EXPECT_EQ(out, "yes\n");
}

// RBAC's escalation prevention: allowed to write bindings, the scheduler
// still cannot bind itself to cluster-admin, nor write a role granting more
// than it holds, until it is allowed to bind or escalate.
TEST_F(RbacKubectlE2E, NobodyGrantsWhatTheyDoNotHold) {
  std::string out;
  const std::string writer = dir_.Join("writer.yaml");
  ASSERT_TRUE(testing::WriteFile(writer, R"(apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: rbac-writer}
rules:
- apiGroups: [rbac.authorization.k8s.io]
  resources: [clusterroles, clusterrolebindings]
  verbs: [create, get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: scheduler-rbac-writer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: rbac-writer}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: system:kube-scheduler}]
)")
                  .ok());
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return Kubectl(admin_, {"apply", "-f", writer}, &out) == 0;
      },
      absl::Seconds(20)))
      << out;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return Kubectl(scheduler_, {"auth", "can-i", "create", "clusterrolebindings"}, &out) == 0;
      },
      absl::Seconds(20)))
      << out;
  EXPECT_EQ(Kubectl(scheduler_,
                    {"create", "clusterrolebinding", "self-admin", "--clusterrole=cluster-admin",
                     "--user=system:kube-scheduler"},
                    &out),
            1)
      << out;
  EXPECT_TRUE(absl::StrContains(
      out,
      "error: failed to create clusterrolebinding: clusterrolebindings.rbac.authorization.k8s.io "
      "\"self-admin\" is forbidden: user \"system:kube-scheduler\" "
      "(groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not "
      "currently held:\n{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}"))
      << out;
  EXPECT_EQ(
      Kubectl(scheduler_, {"create", "clusterrole", "deleter", "--verb=delete", "--resource=nodes"},
              &out),
      1)
      << out;
  EXPECT_TRUE(
      absl::StrContains(out, "{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"delete\"]}"))
      << out;
  // A role within what it holds is fine.
  EXPECT_EQ(Kubectl(scheduler_,
                    {"create", "clusterrole", "binder", "--verb=create", "--resource=pods/binding"},
                    &out),
            0)
      << out;
}

}  // namespace
}  // namespace minik8s::apiserver
