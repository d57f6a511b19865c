// A killed node's endpoints leave the rotation (issue #13): two nodes, a
// Service over four nginx pods spread on both; node-1's kubelet is killed
// (its runtime and pods keep running, as on a node cut off from the
// control plane). Once the node lifecycle controller sees node-1 NotReady it
// marks its pods not Ready, the EndpointSlice marks their endpoints not
// ready, and every node's proxy sends each request to node-2's pods only.
// Skips when a binary is not built.
#include <signal.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/tcp_exchange.h"
#include "testing/wait.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::TableRows;
using ::minik8s::testing::WaitFor;

// The pod named in the <title> of GET / (the runtime's nginx), or what went
// wrong.
std::string PodBehind(const std::string& ip, int port) {
  testing::TcpExchangeResult r =
      testing::TcpExchange(ip, port, "GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n");
  if (!r.connected) return r.refused ? "refused" : absl::StrCat("error: ", r.error);
  const size_t open = r.answer.find("<title>default/");
  const size_t end = r.answer.find("</title>");
  if (open == std::string::npos || end == std::string::npos) return "error: page";
  return r.answer.substr(open + 15, end - open - 15);
}

TEST(ServiceNodeFailureE2E, AKilledNodesEndpointsLeaveTheRotation) {
  const std::string missing = ClusterHarness::MissingPrerequisite(BackendKind::kMinik8sStore);
  if (!missing.empty()) GTEST_SKIP() << missing;
  // NotReady 4 s after the last Lease renewal; the pods' default
  // 300 s tolerations keep them from being evicted during the test.
  ClusterHarness cluster(ClusterHarness::Options{
      .backend = BackendKind::kMinik8sStore,
      .nodes = 2,
      .up_flags = {"--kubelet-arg=--node-lease-renew-interval=1s",
                   "--controller-manager-arg=--node-monitor-period=1s",
                   "--controller-manager-arg=--node-monitor-grace-period=4s"}});
  absl::Status s = cluster.Start();
  ASSERT_TRUE(s.ok()) << s << cluster.Diagnostics();
  std::string out;
  ASSERT_EQ(cluster.Mkctl({"create", "deployment", "web", "--image=nginx:1.25.3", "--replicas=4",
                           "--port=8080"},
                          &out),
            0)
      << out;
  ASSERT_EQ(cluster.Mkctl({"expose", "deployment", "web", "--port=8080"}, &out), 0) << out;
  ASSERT_EQ(cluster.Mkctl({"rollout", "status", "deployment/web", "--timeout=120s"}, &out), 0)
      << out << cluster.Diagnostics();
  ASSERT_EQ(cluster.Mkctl({"get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}"}, &out), 0);
  const std::string ip = std::string(absl::StripAsciiWhitespace(out));

  // Which pod runs where.
  std::map<std::string, std::string> node_of;
  ASSERT_EQ(cluster.Mkctl({"get", "pods", "-o", "wide", "--no-headers"}, &out), 0) << out;
  for (const auto& row : TableRows("HEADER\n" + out)) {
    if (row.size() >= 7) node_of[row[0]] = row[6];
  }
  std::set<std::string> nodes;
  for (const auto& [pod, node] : node_of) nodes.insert(node);
  ASSERT_EQ(nodes, (std::set<std::string>{"node-1", "node-2"})) << out;

  // All four answer before.
  std::set<std::string> seen;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (int i = 0; i < 20; ++i) seen.insert(PodBehind(ip, 8080));
        return seen.size() >= 4;
      },
      absl::Seconds(30)));

  const pid_t kubelet = cluster.DaemonPid("kubelet-node-1");
  ASSERT_GT(kubelet, 0);
  ASSERT_EQ(kill(kubelet, SIGKILL), 0);
  const absl::Time killed = absl::Now();

  // Then only node-2's pods, and no failed request.
  std::map<std::string, int> answers;
  ASSERT_TRUE(WaitFor(
      [&] {
        answers.clear();
        for (int i = 0; i < 30; ++i) ++answers[PodBehind(ip, 8080)];
        for (const auto& [pod, n] : answers) {
          if (node_of[pod] != "node-2") return false;
        }
        return true;
      },
      absl::Seconds(40)))
      <<
      [&] {
        std::string d;
        for (const auto& [pod, n] : answers) absl::StrAppend(&d, pod, "=", n, " ");
        return d;
      }()
      << cluster.Diagnostics();
  const absl::Duration took = absl::Now() - killed;
  // The endpoints went not ready: the slice says so.
  ASSERT_EQ(cluster.Mkctl({"get", "endpointslices", "-o", "yaml"}, &out), 0);
  EXPECT_TRUE(absl::StrContains(out, "ready: false")) << out;
  RecordProperty("seconds_to_leave_rotation", absl::StrCat(absl::ToDoubleSeconds(took)));
}

}  // namespace
}  // namespace minik8s::clustertest
