// minik8s-proxy end to end: a real store and apiserver (with minik8s' rootless
// network: cluster IPs from 127.96.0.0/16, loopback endpoints allowed), the
// real minik8s-proxy binary (reaching the apiserver through a kubeconfig),
// and two TCP servers of the test's own behind a selector-less NodePort
// Service with a hand-written EndpointSlice.
// Connections through the cluster IP and through 127.0.0.1:<nodePort> reach
// both servers; an endpoint marked not ready leaves the rotation; without
// endpoints a connection is refused at once.
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/intstr.h"
#include "common/net.h"
#include "gtest/gtest.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/discovery/v1/discovery.pb.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"
#include "testing/http_client.h"
#include "testing/subprocess.h"
#include "testing/wait.h"
#include "tests/proxy/test_backend.h"

namespace minik8s::proxy {
namespace {

using minik8s::core::v1::Service;
using minik8s::discovery::v1::EndpointSlice;
using testing::BackendOf;
using testing::Exchange;
using testing::TestBackend;

Service MakeService() {
  Service s;
  s.mutable_metadata()->set_name("web");
  s.mutable_metadata()->set_namespace_("default");
  s.mutable_spec()->set_type("NodePort");
  auto* p = s.mutable_spec()->add_ports();
  p->set_name("http");
  p->set_port(80);
  *p->mutable_target_port() = api::IntOrStringFromInt(8080);
  return s;
}

// The slice of `backends` (ip -> ready) on `port`.
EndpointSlice MakeSlice(const std::map<std::string, bool>& backends, int port) {
  EndpointSlice e;
  e.mutable_metadata()->set_name("web-manual");
  e.mutable_metadata()->set_namespace_("default");
  (*e.mutable_metadata()->mutable_labels())["kubernetes.io/service-name"] = "web";
  e.set_address_type("IPv4");
  auto* p = e.add_ports();
  p->set_name("http");
  p->set_protocol("TCP");
  p->set_port(port);
  for (const auto& [ip, ready] : backends) {
    auto* ep = e.add_endpoints();
    ep->add_addresses(ip);
    ep->set_node_name("node-1");
    ep->mutable_conditions()->set_ready(ready);
  }
  return e;
}

// Backend name -> connections, over `n` connections to ip:port; "error: ..."
// counts the failures.
std::map<std::string, int> Spread(const std::string& ip, int port, int n) {
  std::map<std::string, int> out;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<std::string> got = Exchange(ip, port, absl::StrCat("hello ", i));
    if (got.ok() && *got != BackendOf(got) + "\nhello " + std::to_string(i)) {
      ++out["error: bad echo " + *got];
    } else {
      ++out[got.ok() ? BackendOf(got) : "error: " + std::string(got.status().message())];
    }
  }
  return out;
}

std::string Describe(const std::map<std::string, int>& m) {
  std::string out;
  for (const auto& [k, v] : m) absl::StrAppend(&out, k, "=", v, " ");
  return out;
}

TEST(ProxyE2E, CarriesTrafficThroughClusterIPAndNodePort) {
  const std::string missing = ::minik8s::testing::ControlPlane::MissingPrerequisite(
      ::minik8s::testing::BackendKind::kMinik8sStore,
      {"minik8s-store", "minik8s-apiserver", "minik8s-proxy"});
  if (!missing.empty()) GTEST_SKIP() << missing;
  std::string help;
  ::minik8s::testing::RunCommand({::minik8s::testing::BinPath("minik8s-apiserver"), "--help"},
                                 &help);
  if (help.find("--allow-loopback-endpoints") == std::string::npos) {
    GTEST_SKIP() << "this minik8s-apiserver has no --allow-loopback-endpoints";
  }
  ::minik8s::testing::ControlPlane cp(::minik8s::testing::ControlPlane::Options{
      .apiserver_flags = {"--service-cluster-ip-range=127.96.0.0/16",
                          "--allow-loopback-endpoints"}});
  ASSERT_TRUE(cp.Start().ok()) << cp.LogTail("apiserver.log");
  client::Clientset* cs = cp.clientset();

  // Two servers on one port at two loopback addresses, as two pods would.
  absl::StatusOr<int> port = PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  TestBackend a("backend-a", "127.0.0.2"), b("backend-b", "127.0.0.3");
  ASSERT_TRUE(a.Start(*port).ok());
  ASSERT_TRUE(b.Start(*port).ok());

  absl::StatusOr<Service> svc = cs->For<Service>().Create(MakeService());
  ASSERT_TRUE(svc.ok()) << svc.status();
  const std::string cluster_ip = svc->spec().cluster_ip();
  const int node_port = svc->spec().ports(0).node_port();
  ASSERT_EQ(cluster_ip.rfind("127.96.", 0), 0u) << cluster_ip;
  ASSERT_GT(node_port, 0);
  absl::StatusOr<EndpointSlice> slice =
      cs->For<EndpointSlice>().Create(MakeSlice({{"127.0.0.2", true}, {"127.0.0.3", true}}, *port));
  ASSERT_TRUE(slice.ok()) << slice.status();

  absl::StatusOr<int> health_port = PickFreeLoopbackPort();
  ASSERT_TRUE(health_port.ok());
  // The proxy finds the apiserver through a kubeconfig, as the other daemons
  // can.
  const std::string kubeconfig = cp.dir().Join("proxy.kubeconfig");
  ASSERT_TRUE(::minik8s::testing::WriteFile(kubeconfig,
                                            absl::StrCat("apiVersion: v1\nkind: Config\n"
                                                         "clusters:\n- name: local\n  cluster:\n"
                                                         "    server: http://",
                                                         cp.apiserver_address(),
                                                         "\nusers:\n- name: proxy\n  user: {}\n"
                                                         "contexts:\n- name: local\n  context:\n"
                                                         "    cluster: local\n    user: proxy\n"
                                                         "current-context: local\n"))
                  .ok());
  ::minik8s::testing::Subprocess proxy;
  ASSERT_TRUE(
      proxy
          .Start({::minik8s::testing::BinPath("minik8s-proxy"), "--kubeconfig", kubeconfig,
                  "--node-name", "node-1", "--nodeport-addresses", "127.0.0.1", "--health-address",
                  absl::StrCat("127.0.0.1:", *health_port), "--log-level", "debug"},
                 cp.dir().Join("proxy.log"))
          .ok());

  const absl::Time proxy_started = absl::Now();
  ASSERT_TRUE(
      ::minik8s::testing::WaitFor([&] { return Exchange(cluster_ip, 80).ok(); }, absl::Seconds(30)))
      << cp.LogTail("proxy.log");
  std::cout << "first connection through the cluster IP "
            << absl::FormatDuration(absl::Now() - proxy_started) << " after the proxy started\n";
  std::map<std::string, int> via_cluster_ip = Spread(cluster_ip, 80, 30);
  EXPECT_GE(via_cluster_ip["backend-a"], 10) << Describe(via_cluster_ip);
  EXPECT_GE(via_cluster_ip["backend-b"], 10) << Describe(via_cluster_ip);
  EXPECT_EQ(via_cluster_ip["backend-a"] + via_cluster_ip["backend-b"], 30)
      << Describe(via_cluster_ip);
  std::map<std::string, int> via_node_port = Spread("127.0.0.1", node_port, 30);
  EXPECT_GE(via_node_port["backend-a"], 10) << Describe(via_node_port);
  EXPECT_GE(via_node_port["backend-b"], 10) << Describe(via_node_port);
  EXPECT_EQ(via_node_port["backend-a"] + via_node_port["backend-b"], 30) << Describe(via_node_port);

  // The /rules page says what is programmed and since when; the metrics
  // count the syncs under kube-proxy's names.
  absl::StatusOr<::minik8s::testing::HttpResult> page =
      ::minik8s::testing::HttpRequest(*health_port, {.target = "/rules"});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->headers["content-type"], "application/json");
  for (const std::string& want :
       {absl::StrCat("\"frontend\": \"", cluster_ip, ":80/TCP\""),
        absl::StrCat("\"frontend\": \"nodePort ", node_port, "/TCP\""),
        absl::StrCat("{\"address\": \"127.0.0.1:", node_port, "\", \"listening\": true}"),
        absl::StrCat("{\"address\": \"127.0.0.3:", *port, "\", \"nodeName\": \"node-1\""),
        std::string("\"nodes\": [\"node-1\"]")}) {
    EXPECT_NE(page->body.find(want), std::string::npos) << want << " in\n" << page->body;
  }
  absl::StatusOr<::minik8s::testing::HttpResult> metrics =
      ::minik8s::testing::HttpRequest(*health_port, {.target = "/metrics"});
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_NE(metrics->body.find("kubeproxy_sync_proxy_rules_last_timestamp_seconds "),
            std::string::npos);

  // backend-b stops being ready: it leaves the rotation.
  slice = cs->For<EndpointSlice>().Get("default", "web-manual");
  ASSERT_TRUE(slice.ok());
  EndpointSlice not_ready = MakeSlice({{"127.0.0.2", true}, {"127.0.0.3", false}}, *port);
  *not_ready.mutable_metadata() = slice->metadata();
  const absl::Time changed = absl::Now();
  ASSERT_TRUE(cs->For<EndpointSlice>().Update(not_ready).ok());
  ASSERT_TRUE(::minik8s::testing::WaitFor(
      [&] { return Spread(cluster_ip, 80, 4)["backend-a"] == 4; }, absl::Seconds(10)))
      << cp.LogTail("proxy.log");
  std::cout << "not-ready endpoint left the rotation after "
            << absl::FormatDuration(absl::Now() - changed) << "\n";
  const int b_before = b.accepted();
  std::map<std::string, int> after = Spread(cluster_ip, 80, 20);
  EXPECT_EQ(after["backend-a"], 20) << Describe(after);
  after = Spread("127.0.0.1", node_port, 20);
  EXPECT_EQ(after["backend-a"], 20) << Describe(after);
  EXPECT_EQ(b.accepted(), b_before);

  // No endpoints at all: refused at once, not a hang.
  slice = cs->For<EndpointSlice>().Get("default", "web-manual");
  ASSERT_TRUE(slice.ok());
  EndpointSlice empty = MakeSlice({}, *port);
  *empty.mutable_metadata() = slice->metadata();
  ASSERT_TRUE(cs->For<EndpointSlice>().Update(empty).ok());
  ASSERT_TRUE(::minik8s::testing::WaitFor([&] { return !Exchange(cluster_ip, 80).ok(); },
                                          absl::Seconds(10)))
      << cp.LogTail("proxy.log");
  for (const auto& [ip, p] :
       std::vector<std::pair<std::string, int>>{{cluster_ip, 80}, {"127.0.0.1", node_port}}) {
    const absl::Time start = absl::Now();
    absl::StatusOr<std::string> got = Exchange(ip, p);
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.status().message().find("refused"), std::string::npos) << got.status();
    EXPECT_LT(absl::Now() - start, absl::Seconds(5));  // generous: refused is immediate
  }

  // The daemon stops cleanly on SIGTERM.
  std::optional<int> status = proxy.Stop(SIGTERM);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << cp.LogTail("proxy.log");
}

}  // namespace
}  // namespace minik8s::proxy
