// `minik8s up --apiserver-tls=true` end to end (two nodes, minik8s-store):
// the apiserver's port speaks only TLS; the real kubectl and mkctl reach it
// through the kubeconfig `up` wrote (the cluster CA and the admin's client
// certificate); each component presents its own certificate through its
// kubeconfig under <data-dir>/kubeconfigs, which the audit log shows by user
// name; a Deployment runs to completion. Skips when a binary is not built.
#include <sys/stat.h>

#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cluster/plan.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/file_util.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::WaitFor;

TEST(ApiserverTlsUpE2E, ComponentsAndClientsUseTheirCertificates) {
  if (std::string why = ClusterHarness::MissingPrerequisite(BackendKind::kMinik8sStore);
      !why.empty()) {
    GTEST_SKIP() << why;
  }
  testing::TempDir audit_dir;
  const std::string audit = audit_dir.Join("audit.log");
  ClusterHarness cluster({.nodes = 2,
                          .up_flags = {absl::StrCat("--apiserver-arg=--audit-log-path=", audit)},
                          .apiserver_tls = true});
  absl::Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started << "\n" << cluster.Diagnostics();

  // kubectl over TLS with the admin's certificate.
  std::string out;
  ASSERT_EQ(cluster.Kubectl({"get", "nodes", "-o", "name"}, &out), 0) << out;
  EXPECT_EQ(out, "node/node-1\nnode/node-2\n");
  const std::string kubeconfig = testing::ReadFile(cluster.kubeconfig());
  EXPECT_TRUE(absl::StrContains(kubeconfig, "server: https://127.0.0.1:")) << kubeconfig;
  EXPECT_TRUE(absl::StrContains(kubeconfig, "client-certificate: ")) << kubeconfig;

  // A Deployment goes all the way through the TLS-only control plane.
  ASSERT_EQ(cluster.Kubectl({"create", "deployment", "web", "--image=nginx", "--replicas=3"}, &out),
            0)
      << out;
  ASSERT_TRUE(WaitFor(
      [&] {
        std::string pods;
        if (cluster.Mkctl({"get", "pods", "--no-headers"}, &pods) != 0) return false;
        int running = 0;
        for (absl::string_view line : absl::StrSplit(pods, '\n', absl::SkipEmpty())) {
          running += absl::StrContains(line, "Running");
        }
        return running == 3;
      },
      absl::Seconds(60)))
      << cluster.Diagnostics();

  // Each component's kubeconfig is private and names its own certificate.
  struct stat st;
  const std::string kubelet_conf =
      cluster::ComponentKubeconfigPath(cluster.data_dir(), "kubelet-node-1");
  ASSERT_EQ(stat(kubelet_conf.c_str(), &st), 0) << kubelet_conf;
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_TRUE(
      absl::StrContains(testing::ReadFile(kubelet_conf), "kubelets/node-1/kubelet-client.crt"));

  // The apiserver saw every component as its own user.
  std::set<std::string> users;
  EXPECT_TRUE(WaitFor(
      [&] {
        for (absl::string_view line :
             absl::StrSplit(testing::ReadFile(audit), '\n', absl::SkipEmpty())) {
          users.insert(YAML::Load(std::string(line))["user"]["username"].as<std::string>());
        }
        for (const char* want :
             {"kubernetes-admin", "system:kube-scheduler", "system:kube-controller-manager",
              "system:node:node-1", "system:node:node-2"}) {
          if (users.count(want) == 0) return false;
        }
        return true;
      },
      absl::Seconds(30)))
      << "users seen: " << absl::StrJoin(users, ", ");
  EXPECT_EQ(users.count("system:anonymous"), 0u) << absl::StrJoin(users, ", ");

  absl::Status stopped = cluster.Stop();
  EXPECT_TRUE(stopped.ok()) << stopped;
}

}  // namespace
}  // namespace minik8s::clustertest
