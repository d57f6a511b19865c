// The rootless pod network on a `minik8s up` cluster (two nodes,
// minik8s-store): pods get 127.244.<node>.x addresses (another cluster network
// when not on the default --port-base: cluster/plan.h), the runtime answers
// on their declared ports (an nginx pod serves HTTP naming itself, a busybox
// pod echoes), `mkctl get pods -o wide` shows the addresses, a Service gets
// a cluster IP in 127.96.0.0/12 and its EndpointSlice and Endpoints hold the pod
// address (the apiserver runs with --allow-loopback-endpoints), and a
// deleted pod's port refuses connections. Skips when a binary is not built.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cluster/plan.h"
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

// Whether IPv4 `ip` is inside `cidr` ("a.b.c.d/n").
bool InCidr(const std::string& ip, const std::string& cidr) {
  const size_t slash = cidr.find('/');
  in_addr a{}, net{};
  if (slash == std::string::npos || inet_pton(AF_INET, ip.c_str(), &a) != 1 ||
      inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &net) != 1) {
    return false;
  }
  const int bits = std::stoi(cidr.substr(slash + 1));
  const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (ntohl(a.s_addr) & mask) == (ntohl(net.s_addr) & mask);
}

// ip:port's answer to `request` ("" with *refused set when the connection
// was refused).
std::string Exchange(const std::string& ip, int port, const std::string& request, size_t enough,
                     bool* refused) {
  testing::TcpExchangeResult r = testing::TcpExchange(ip, port, request, enough);
  *refused = r.refused;
  return r.answer;
}

class PodNetworkE2E : public testing::TwoNodeClusterTest {
 protected:
  // The pod's IP once it is Running ("" after 60 s).
  std::string RunningPodIp(const std::string& name) {
    std::string ip;
    WaitFor(
        [&] {
          std::string out =
              Mkctl({"get", "pod", name, "-o", "jsonpath={.status.phase} {.status.podIP}"});
          if (!absl::StartsWith(out, "Running ")) return false;
          ip = std::string(absl::StripAsciiWhitespace(out.substr(8)));
          return !ip.empty();
        },
        absl::Seconds(60));
    return ip;
  }
};

TEST_F(PodNetworkE2E, PodsAnswerOnTheirLoopbackAddresses) {
  // Ports above 1024: the runtime need not run as root to bind them.
  int code = 0;
  Mkctl({"run", "web", "--image=nginx:1.25.3", "--port=8080"}, &code);
  ASSERT_EQ(code, 0);
  Mkctl({"run", "echo", "--image=busybox:1.36", "--port=9000", "--command", "--", "sleep",
         "infinity"},
        &code);
  ASSERT_EQ(code, 0);
  const std::string web_ip = RunningPodIp("web");
  const std::string echo_ip = RunningPodIp("echo");
  ASSERT_FALSE(web_ip.empty()) << Mkctl({"describe", "pod", "web"}) << cluster_->Diagnostics();
  ASSERT_FALSE(echo_ip.empty()) << Mkctl({"describe", "pod", "echo"});
  // In the cluster's own pod network (cluster/plan.h: another cluster
  // running beside this one has another).
  EXPECT_TRUE(InCidr(web_ip, cluster::NodePodCidr(cluster_->port_base(), 1)) ||
              InCidr(web_ip, cluster::NodePodCidr(cluster_->port_base(), 2)))
      << web_ip;
  EXPECT_TRUE(InCidr(echo_ip, cluster::NodePodCidr(cluster_->port_base(), 1)) ||
              InCidr(echo_ip, cluster::NodePodCidr(cluster_->port_base(), 2)))
      << echo_ip;
  const std::string wide = Mkctl({"get", "pods", "-o", "wide"});
  EXPECT_TRUE(absl::StrContains(wide, web_ip)) << wide;
  EXPECT_TRUE(absl::StrContains(wide, echo_ip)) << wide;

  bool refused = false;
  const std::string page = Exchange(
      web_ip, 8080, "GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n", 1 << 20, &refused);
  EXPECT_TRUE(absl::StartsWith(page, "HTTP/1.1 200 OK")) << page;
  EXPECT_TRUE(absl::StrContains(page, "default/web")) << page;
  EXPECT_EQ(Exchange(echo_ip, 9000, "hello minik8s", 13, &refused), "hello minik8s");
  // nginx's access log line is in `mkctl logs`.
  EXPECT_TRUE(WaitFor(
      [&] {
        return absl::StrContains(Mkctl({"logs", "web"}), "\"GET / HTTP/1.1\" 200");
      },
      absl::Seconds(10)))
      << Mkctl({"logs", "web"});

  // A Service: a cluster IP in 127.96.0.0/12, and the pod address in its
  // EndpointSlice and Endpoints.
  Mkctl({"expose", "pod", "web", "--port=80", "--target-port=8080"}, &code);
  ASSERT_EQ(code, 0);
  const std::string cluster_ip = Mkctl({"get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}"});
  EXPECT_TRUE(InCidr(cluster_ip, cluster::ServiceClusterIpRange(cluster_->port_base())))
      << cluster_ip << " not in " << cluster::ServiceClusterIpRange(cluster_->port_base());
  std::string slices;
  EXPECT_TRUE(WaitFor(
      [&] {
        slices = Mkctl({"get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o",
                        "jsonpath={.items[*].endpoints[*].addresses[*]}"});
        return slices == web_ip;
      },
      absl::Seconds(30)))
      << slices << "\n"
      << Mkctl({"get", "endpointslices", "-o", "yaml"});
  std::string endpoints;
  EXPECT_TRUE(WaitFor(
      [&] {
        endpoints =
            Mkctl({"get", "endpoints", "web", "-o", "jsonpath={.subsets[*].addresses[*].ip}"});
        return endpoints == web_ip;
      },
      absl::Seconds(30)))
      << endpoints;

  // Deleted: the port refuses connections.
  Mkctl({"delete", "pod", "web", "--wait=false"}, &code);
  ASSERT_EQ(code, 0);
  EXPECT_TRUE(WaitFor(
      [&] {
        Exchange(web_ip, 8080, "", 0, &refused);
        return refused;
      },
      absl::Seconds(60)));
}

}  // namespace
}  // namespace minik8s::clustertest
