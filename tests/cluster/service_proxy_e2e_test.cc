// Services on a `minik8s up` cluster (two nodes, each with its
// minik8s-proxy): a Deployment of three nginx pods exposed as a NodePort
// Service answers through its cluster IP and through 127.0.0.1:<nodePort>,
// every replica over a few dozen requests; scaled to 0, a connection to the
// cluster IP is refused at once, not left hanging. Skips when a binary is
// not built.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/cluster_test.h"
#include "testing/tcp_exchange.h"
#include "testing/wait.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::WaitFor;

// GET / from ip:port: the pod named in the page's <title> (the runtime's
// nginx names its pod there), "refused" when the connection is refused,
// "error: ..." otherwise.
std::string PodBehind(const std::string& ip, int port) {
  testing::TcpExchangeResult r =
      testing::TcpExchange(ip, port, "GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n");
  if (!r.connected) return r.refused ? "refused" : absl::StrCat("error: ", r.error);
  const std::string& in = r.answer;
  const size_t open = in.find("<title>");
  const size_t end = in.find("</title>");
  if (open == std::string::npos || end == std::string::npos) return "error: page: " + in;
  return in.substr(open + 7, end - open - 7);
}

std::string Describe(const std::map<std::string, int>& m) {
  std::string out;
  for (const auto& [k, v] : m) absl::StrAppend(&out, k, "=", v, " ");
  return out;
}

class ServiceProxyE2E : public testing::TwoNodeClusterTest {};

TEST_F(ServiceProxyE2E, ClusterIPAndNodePortReachEveryReplica) {
  // Ports above 1024: neither the runtime nor the proxy needs root.
  int code = 0;
  Mkctl({"create", "deployment", "web", "--image=nginx:1.25.3", "--replicas=3", "--port=8080"},
        &code);
  ASSERT_EQ(code, 0);
  Mkctl({"expose", "deployment", "web", "--port=8080", "--type=NodePort"}, &code);
  ASSERT_EQ(code, 0);
  const std::string out = Mkctl({"rollout", "status", "deployment/web", "--timeout=120s"}, &code);
  ASSERT_EQ(code, 0) << out << cluster_->Diagnostics();
  const std::string cluster_ip = std::string(
      absl::StripAsciiWhitespace(Mkctl({"get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}"})));
  int node_port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(
      absl::StripAsciiWhitespace(
          Mkctl({"get", "svc", "web", "-o", "jsonpath={.spec.ports[0].nodePort}"})),
      &node_port));
  ASSERT_TRUE(absl::StartsWith(cluster_ip, "127.")) << cluster_ip;

  // Once the proxies have the three endpoints, every replica answers on
  // both frontends.
  for (const auto& [ip, port] :
       std::vector<std::pair<std::string, int>>{{cluster_ip, 8080}, {"127.0.0.1", node_port}}) {
    std::map<std::string, int> seen;
    ASSERT_TRUE(WaitFor(
        [&, ip = ip, port = port] {
          seen.clear();
          for (int i = 0; i < 30; ++i) ++seen[PodBehind(ip, port)];
          return seen.size() == 3 && !seen.contains("refused");
        },
        absl::Seconds(30)))
        << ip << ":" << port << " " << Describe(seen) << cluster_->Diagnostics();
    for (const auto& [pod, n] : seen) {
      EXPECT_TRUE(absl::StartsWith(pod, "default/web-")) << pod;
      EXPECT_GE(n, 5) << Describe(seen);
    }
  }

  // No replica: refused, at once.
  Mkctl({"scale", "deployment/web", "--replicas=0"}, &code);
  ASSERT_EQ(code, 0);
  ASSERT_TRUE(WaitFor([&] { return PodBehind(cluster_ip, 8080) == "refused"; }, absl::Seconds(60)))
      << PodBehind(cluster_ip, 8080);
  const absl::Time start = absl::Now();
  EXPECT_EQ(PodBehind("127.0.0.1", node_port), "refused");
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));  // generous: a refusal is immediate
}

}  // namespace
}  // namespace minik8s::clustertest
