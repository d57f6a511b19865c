// Rule building (proxy/rules.h): which Service ports get frontends and
// which endpoints each frontend sends new connections to.
#include "proxy/rules.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "proxy/proxier.h"

namespace minik8s::proxy {
namespace {

using minik8s::core::v1::Service;
using minik8s::discovery::v1::EndpointSlice;

Service MakeService(const std::string& name, const std::string& type = "ClusterIP",
                    const std::string& cluster_ip = "127.96.0.10") {
  Service s;
  s.mutable_metadata()->set_name(name);
  s.mutable_metadata()->set_namespace_("default");
  s.mutable_spec()->set_type(type);
  s.mutable_spec()->set_cluster_ip(cluster_ip);
  return s;
}

void AddPort(Service* s, const std::string& name, int port, int node_port = 0,
             const std::string& protocol = "TCP") {
  auto* p = s->mutable_spec()->add_ports();
  p->set_name(name);
  p->set_port(port);
  p->set_node_port(node_port);
  p->set_protocol(protocol);
}

EndpointSlice MakeSlice(const std::string& name, const std::string& service) {
  EndpointSlice e;
  e.mutable_metadata()->set_name(name);
  e.mutable_metadata()->set_namespace_("default");
  (*e.mutable_metadata()->mutable_labels())[kLabelServiceName] = service;
  e.set_address_type("IPv4");
  return e;
}

void AddSlicePort(EndpointSlice* e, const std::string& name, int port) {
  auto* p = e->add_ports();
  p->set_name(name);
  p->set_protocol("TCP");
  p->set_port(port);
}

struct Conditions {
  std::optional<bool> ready;
  std::optional<bool> serving;
  std::optional<bool> terminating;
};

void AddEndpoint(EndpointSlice* e, const std::string& ip, const std::string& node,
                 Conditions c = {.ready = true}) {
  auto* ep = e->add_endpoints();
  ep->add_addresses(ip);
  if (!node.empty()) ep->set_node_name(node);
  if (c.ready) ep->mutable_conditions()->set_ready(*c.ready);
  if (c.serving) ep->mutable_conditions()->set_serving(*c.serving);
  if (c.terminating) ep->mutable_conditions()->set_terminating(*c.terminating);
}

RuleTable Build(const std::vector<Service>& services, const std::vector<EndpointSlice>& slices,
                const absl::flat_hash_set<std::string>& nodes = {"node-1"}) {
  std::vector<const Service*> s;
  for (const Service& x : services) s.push_back(&x);
  std::vector<const EndpointSlice*> e;
  for (const EndpointSlice& x : slices) e.push_back(&x);
  return BuildRules(s, e, nodes);
}

// "frontend -> a,b" per rule, one a line.
std::string Summary(const RuleTable& t) {
  std::vector<std::string> lines;
  for (const Rule& r : t.rules) {
    std::vector<std::string> eps;
    for (const RuleEndpoint& e : r.endpoints) eps.push_back(e.Address());
    lines.push_back(absl::StrCat(r.ServicePortName(), " ", r.Frontend(), " -> ",
                                 eps.empty() ? "none" : absl::StrJoin(eps, ",")));
  }
  return absl::StrJoin(lines, "\n");
}

TEST(BuildRules, OnlyReadyEndpointsAndUnsetReadyCountsAsReady) {
  Service s = MakeService("web");
  AddPort(&s, "", 80);
  EndpointSlice e = MakeSlice("web-abc", "web");
  AddSlicePort(&e, "", 8080);
  AddEndpoint(&e, "127.244.1.2", "node-1", {.ready = true});
  AddEndpoint(&e, "127.244.1.3", "node-1", {.ready = false});
  AddEndpoint(&e, "127.244.2.2", "node-2", {});  // no conditions: ready
  EXPECT_EQ(Summary(Build({s}, {e})),
            "default/web 127.96.0.10:80/TCP -> 127.244.1.2:8080,127.244.2.2:8080");
}

TEST(BuildRules, FallsBackToServingTerminatingOnlyWhenNoneIsReady) {
  Service s = MakeService("web");
  AddPort(&s, "", 80);
  EndpointSlice e = MakeSlice("web-abc", "web");
  AddSlicePort(&e, "", 8080);
  AddEndpoint(&e, "127.244.1.2", "node-1", {.ready = false, .serving = true, .terminating = true});
  AddEndpoint(&e, "127.244.1.3", "node-1", {.ready = false, .serving = false, .terminating = true});
  AddEndpoint(&e, "127.244.1.4", "node-1", {.ready = false, .serving = true});  // not terminating
  EXPECT_EQ(Summary(Build({s}, {e})), "default/web 127.96.0.10:80/TCP -> 127.244.1.2:8080");

  AddEndpoint(&e, "127.244.1.5", "node-2", {.ready = true});
  EXPECT_EQ(Summary(Build({s}, {e})), "default/web 127.96.0.10:80/TCP -> 127.244.1.5:8080");

  EndpointSlice none = MakeSlice("web-abc", "web");
  AddSlicePort(&none, "", 8080);
  AddEndpoint(&none, "127.244.1.3", "node-1",
              {.ready = false, .serving = false, .terminating = true});
  RuleTable t = Build({s}, {none});
  ASSERT_EQ(t.rules.size(), 1u);  // the rule stays, with no endpoints (refuses)
  EXPECT_TRUE(t.rules[0].endpoints.empty());
}

TEST(BuildRules, InternalTrafficPolicyLocalFiltersTheClusterIPByNode) {
  Service s = MakeService("web", "NodePort");
  AddPort(&s, "http", 80, 30080);
  s.mutable_spec()->set_internal_traffic_policy("Local");
  EndpointSlice e = MakeSlice("web-abc", "web");
  AddSlicePort(&e, "http", 8080);
  AddEndpoint(&e, "127.244.1.2", "node-1");
  AddEndpoint(&e, "127.244.2.2", "node-2");
  AddEndpoint(&e, "127.244.3.2", "");  // no node: never local
  RuleTable t = Build({s}, {e});
  EXPECT_EQ(Summary(t),
            "default/web:http 127.96.0.10:80/TCP -> 127.244.1.2:8080\n"
            "default/web:http nodePort 30080/TCP -> 127.244.1.2:8080,127.244.2.2:8080,"
            "127.244.3.2:8080");
  EXPECT_TRUE(t.rules[0].local_policy);
  EXPECT_FALSE(t.rules[1].local_policy);
  // On node-3 there is no local endpoint: the cluster IP refuses.
  EXPECT_TRUE(Build({s}, {e}, {"node-3"}).rules[0].endpoints.empty());
  // One process serving node-1 and node-2 has both as local.
  EXPECT_EQ(Build({s}, {e}, {"node-1", "node-2"}).rules[0].endpoints.size(), 2u);
}

TEST(BuildRules, ExternalTrafficPolicyLocalFiltersTheNodePortByNode) {
  Service s = MakeService("web", "NodePort");
  AddPort(&s, "http", 80, 30080);
  s.mutable_spec()->set_external_traffic_policy("Local");
  EndpointSlice e = MakeSlice("web-abc", "web");
  AddSlicePort(&e, "http", 8080);
  AddEndpoint(&e, "127.244.1.2", "node-1");
  AddEndpoint(&e, "127.244.2.2", "node-2");
  EXPECT_EQ(Summary(Build({s}, {e}, {"node-2"})),
            "default/web:http 127.96.0.10:80/TCP -> 127.244.1.2:8080,127.244.2.2:8080\n"
            "default/web:http nodePort 30080/TCP -> 127.244.2.2:8080");
}

TEST(BuildRules, LocalPolicyFallsBackToLocalTerminatingEndpoints) {
  Service s = MakeService("web", "NodePort");
  AddPort(&s, "", 80, 30080);
  s.mutable_spec()->set_external_traffic_policy("Local");
  EndpointSlice e = MakeSlice("web-abc", "web");
  AddSlicePort(&e, "", 8080);
  AddEndpoint(&e, "127.244.1.2", "node-1", {.ready = false, .serving = true, .terminating = true});
  AddEndpoint(&e, "127.244.2.2", "node-2", {.ready = true});
  RuleTable t = Build({s}, {e}, {"node-1"});
  // A remote ready endpoint does not stop the local fallback.
  EXPECT_EQ(Summary(t),
            "default/web 127.96.0.10:80/TCP -> 127.244.2.2:8080\n"
            "default/web nodePort 30080/TCP -> 127.244.1.2:8080");
}

TEST(BuildRules, NamedPortsResolveThroughTheSlicePortOfThatName) {
  Service s = MakeService("web");
  AddPort(&s, "http", 80);
  AddPort(&s, "metrics", 9090);
  EndpointSlice e = MakeSlice("web-abc", "web");
  AddSlicePort(&e, "metrics", 9100);
  AddSlicePort(&e, "http", 8080);
  AddSlicePort(&e, "other", 7000);
  AddEndpoint(&e, "127.244.1.2", "node-1");
  EXPECT_EQ(Summary(Build({s}, {e})),
            "default/web:http 127.96.0.10:80/TCP -> 127.244.1.2:8080\n"
            "default/web:metrics 127.96.0.10:9090/TCP -> 127.244.1.2:9100");
}

TEST(BuildRules, SeveralSlicesAreMergedWithTheirOwnPortsAndDeduplicated) {
  Service s = MakeService("web");
  AddPort(&s, "http", 80);
  // During a rollout the new pods listen on another port: each endpoint
  // keeps its own slice's port.
  EndpointSlice a = MakeSlice("web-a", "web");
  AddSlicePort(&a, "http", 8080);
  AddEndpoint(&a, "127.244.1.2", "node-1");
  AddEndpoint(&a, "127.244.1.3", "node-1");
  EndpointSlice b = MakeSlice("web-b", "web");
  AddSlicePort(&b, "http", 9090);
  AddEndpoint(&b, "127.244.2.2", "node-2");
  EndpointSlice dup = MakeSlice("web-c", "web");
  AddSlicePort(&dup, "http", 8080);
  AddEndpoint(&dup, "127.244.1.2", "node-1");
  EndpointSlice other = MakeSlice("api-a", "api");  // another Service
  AddSlicePort(&other, "http", 8080);
  AddEndpoint(&other, "127.244.9.9", "node-1");
  EndpointSlice unlabelled = MakeSlice("x", "web");
  unlabelled.mutable_metadata()->mutable_labels()->clear();
  AddSlicePort(&unlabelled, "http", 8080);
  AddEndpoint(&unlabelled, "127.244.8.8", "node-1");
  EndpointSlice other_ns = MakeSlice("web-z", "web");
  other_ns.mutable_metadata()->set_namespace_("prod");
  AddSlicePort(&other_ns, "http", 8080);
  AddEndpoint(&other_ns, "127.244.7.7", "node-1");
  EXPECT_EQ(Summary(Build({s}, {a, b, dup, other, unlabelled, other_ns})),
            "default/web:http 127.96.0.10:80/TCP -> "
            "127.244.1.2:8080,127.244.1.3:8080,127.244.2.2:9090");
}

TEST(BuildRules, HeadlessExternalNameAndUnallocatedServicesGetNoRules) {
  Service headless = MakeService("headless", "ClusterIP", "None");
  AddPort(&headless, "", 80);
  Service external = MakeService("ext", "ExternalName", "");
  external.mutable_spec()->set_external_name("example.com");
  AddPort(&external, "", 80);
  Service no_ip = MakeService("noip", "ClusterIP", "");
  AddPort(&no_ip, "", 80);
  std::vector<EndpointSlice> slices;
  for (const char* name : {"headless", "ext", "noip"}) {
    EndpointSlice e = MakeSlice(absl::StrCat(name, "-a"), name);
    AddSlicePort(&e, "", 8080);
    AddEndpoint(&e, "127.244.1.2", "node-1");
    slices.push_back(e);
  }
  EXPECT_TRUE(Build({headless, external, no_ip}, slices).rules.empty());
}

TEST(BuildRules, NodePortAndLoadBalancerGetNodePortRulesClusterIPDoesNot) {
  Service cip = MakeService("a", "ClusterIP", "127.96.0.1");
  AddPort(&cip, "", 80, 30001);  // a stale nodePort on a ClusterIP Service
  Service np = MakeService("b", "NodePort", "127.96.0.2");
  AddPort(&np, "", 80, 30002);
  Service lb = MakeService("c", "LoadBalancer", "127.96.0.3");
  AddPort(&lb, "", 80, 30003);
  Service unset = MakeService("d", "", "127.96.0.4");
  AddPort(&unset, "", 80);
  EXPECT_EQ(Summary(Build({lb, np, cip, unset}, {})),
            "default/a 127.96.0.1:80/TCP -> none\n"
            "default/b 127.96.0.2:80/TCP -> none\n"
            "default/b nodePort 30002/TCP -> none\n"
            "default/c 127.96.0.3:80/TCP -> none\n"
            "default/c nodePort 30003/TCP -> none\n"
            "default/d 127.96.0.4:80/TCP -> none");
}

TEST(BuildRules, UdpAndSctpPortsAreListedAsUnsupported) {
  Service s = MakeService("dns");
  AddPort(&s, "dns", 53, 0, "UDP");
  AddPort(&s, "dns-tcp", 53, 0, "TCP");
  AddPort(&s, "sig", 5000, 0, "SCTP");
  EndpointSlice e = MakeSlice("dns-a", "dns");
  auto* udp = e.add_ports();
  udp->set_name("dns");
  udp->set_protocol("UDP");
  udp->set_port(5353);
  AddSlicePort(&e, "dns-tcp", 5353);
  AddEndpoint(&e, "127.244.1.2", "node-1");
  RuleTable t = Build({s}, {e});
  EXPECT_EQ(Summary(t), "default/dns:dns-tcp 127.96.0.10:53/TCP -> 127.244.1.2:5353");
  ASSERT_EQ(t.unsupported.size(), 2u);
  EXPECT_EQ(t.unsupported[0].description, "default/dns:dns 53/UDP");
  EXPECT_EQ(t.unsupported[1].description, "default/dns:sig 5000/SCTP");
}

TEST(BuildRules, SlicePortsWithoutNumberOrOfAnotherProtocolAreIgnored) {
  Service s = MakeService("web");
  AddPort(&s, "", 80);
  EndpointSlice e = MakeSlice("web-a", "web");
  auto* no_number = e.add_ports();  // name "" by default, TCP by default
  no_number->set_name("");
  auto* udp = e.add_ports();
  udp->set_protocol("UDP");
  udp->set_port(9999);
  AddEndpoint(&e, "127.244.1.2", "node-1");
  EXPECT_EQ(Summary(Build({s}, {e})), "default/web 127.96.0.10:80/TCP -> none");
  auto* unset = e.add_ports();  // neither name nor protocol: "" and TCP
  unset->set_port(8080);
  EXPECT_EQ(Summary(Build({s}, {e})), "default/web 127.96.0.10:80/TCP -> 127.244.1.2:8080");
}

TEST(BuildRules, Ipv6AndFqdnAddressesAreIgnored) {
  Service s = MakeService("web");
  AddPort(&s, "", 80);
  EndpointSlice e = MakeSlice("web-a", "web");
  AddSlicePort(&e, "", 8080);
  AddEndpoint(&e, "fd00::1", "node-1");
  AddEndpoint(&e, "127.244.1.2", "node-1");
  EndpointSlice fqdn = MakeSlice("web-b", "web");
  fqdn.set_address_type("FQDN");
  AddSlicePort(&fqdn, "", 8080);
  AddEndpoint(&fqdn, "example.com", "node-1");
  EXPECT_EQ(Summary(Build({s}, {e, fqdn})), "default/web 127.96.0.10:80/TCP -> 127.244.1.2:8080");
}

TEST(FrontendTable, NodePortsListenOnEveryNodeportAddress) {
  Service s = MakeService("web", "NodePort");
  AddPort(&s, "", 80, 30080);
  EndpointSlice e = MakeSlice("web-a", "web");
  AddSlicePort(&e, "", 8080);
  AddEndpoint(&e, "127.244.1.2", "node-1");
  AddEndpoint(&e, "127.244.2.2", "node-2");
  TcpProxy::Table t = FrontendTable(Build({s}, {e}).rules, {"127.0.0.1", "127.0.0.2"});
  std::vector<std::string> lines;
  for (const auto& [frontend, backends] : t) {
    std::vector<std::string> b;
    for (const HostPort& hp : backends) b.push_back(hp.ToString());
    lines.push_back(absl::StrCat(frontend.ToString(), " -> ", absl::StrJoin(b, ",")));
  }
  EXPECT_EQ(absl::StrJoin(lines, "\n"),
            "127.0.0.1:30080 -> 127.244.1.2:8080,127.244.2.2:8080\n"
            "127.0.0.2:30080 -> 127.244.1.2:8080,127.244.2.2:8080\n"
            "127.96.0.10:80 -> 127.244.1.2:8080,127.244.2.2:8080");
}

}  // namespace
}  // namespace minik8s::proxy
