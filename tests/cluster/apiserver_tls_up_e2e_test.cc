// `minik8s up --apiserver-tls=true` end to end (two nodes, minik8s-store):
// the apiserver's port speaks only TLS; the real kubectl and mkctl reach it
// through the kubeconfig `up` wrote (the cluster CA and the admin's client
// certificate); each component presents its own certificate through its
// kubeconfig under <data-dir>/kubeconfigs, which the audit log shows by user
// name; a Deployment runs to completion. The kubelets' API speaks TLS too:
// logs reach kubectl through the apiserver's kubelet client certificate and
// mkctl with the admin's, while a node's own certificate is forbidden, a
// caller without credentials is Unauthorized and a plaintext caller gets
// nowhere. Skips when a binary is not built.
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <optional>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cluster/plan.h"
#include "common/tls.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/file_util.h"
#include "testing/kubelet_api.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::WaitFor;

// ContainerLogs of `pod`'s container `container` from the kubelet API at
// `address`, dialled with `tls` (nullopt: plaintext): the call's status.
grpc::Status ReadLogs(const std::string& address, const std::optional<TlsClientFiles>& tls,
                      const std::string& pod, const std::string& container) {
  return testing::ReadKubeletLogs(address, {.tls = tls, .pod = pod, .container = container});
}

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

  // The kubelets' API over TLS. kubectl logs goes through the apiserver,
  // which presents its kubelet client certificate; mkctl dials the kubelet
  // with the admin's.
  ASSERT_EQ(cluster.Kubectl({"logs", "deployment/web"}, &out), 0) << out;
  auto pods = cluster.clientset().Pods().List("default");
  ASSERT_TRUE(pods.ok()) << pods.status();
  ASSERT_FALSE(pods->items.empty());
  const auto& pod = pods->items.front();
  ASSERT_EQ(cluster.Mkctl({"logs", pod.metadata().name()}, &out), 0) << out;
  auto node = cluster.clientset().Nodes().Get("", pod.spec().node_name());
  ASSERT_TRUE(node.ok()) << node.status();
  const std::string kubelet =
      absl::StrCat("127.0.0.1:", node->status().daemon_endpoints().kubelet_endpoint().port());
  const std::string pki = cluster::PkiDir(cluster.data_dir());
  const std::string other = pod.spec().node_name() == "node-1" ? "node-2" : "node-1";
  const std::string container = pod.spec().containers(0).name();
  EXPECT_TRUE(ReadLogs(kubelet, cluster.admin_tls(), pod.metadata().name(), container).ok());
  // Another node's certificate is authenticated, then refused: the
  // apiserver, asked by the kubelet, grants nodes nothing of nodes/proxy.
  grpc::Status refused = ReadLogs(
      kubelet,
      TlsClientFiles{.ca_file = pki + "/ca.crt",
                     .cert_file = absl::StrCat(pki, "/kubelets/", other, "/kubelet-client.crt"),
                     .key_file = absl::StrCat(pki, "/kubelets/", other, "/kubelet-client.key")},
      pod.metadata().name(), container);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  EXPECT_EQ(refused.error_message(),
            absl::StrCat("Forbidden (user=system:node:", other,
                         ", verb=get, resource=nodes, subresource(s)=[proxy])"));
  // Without a client certificate (or a bearer token: the kubelet runs with
  // --authentication-token-webhook, so the handshake does not require a
  // certificate) the call is Unauthorized; in plaintext the handshake fails.
  grpc::Status anonymous = ReadLogs(kubelet, TlsClientFiles{.ca_file = pki + "/ca.crt"},
                                    pod.metadata().name(), container);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED) << anonymous.error_message();
  EXPECT_EQ(ReadLogs(kubelet, std::nullopt, pod.metadata().name(), container).error_code(),
            grpc::StatusCode::UNAVAILABLE);

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
              "system:node:node-1", "system:node:node-2", "system:kube-proxy"}) {
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
