// Services without a network: the cluster IP and node port allocators
// (apiserver/registry/service_allocator.h), Service / Endpoints /
// EndpointSlice defaulting and validation (api/validation/validation_service.h)
// and their table rows (kinds/*/..._printer.cc).
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/codec.h"
#include "api/validation/validation.h"
#include "api/validation/validation_service.h"
#include "apiserver/registry/admission.h"
#include "apiserver/registry/service_allocator.h"
#include "gtest/gtest.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/discovery/v1/discovery.pb.h"
#include "kinds/printer_entry.h"

namespace minik8s {
namespace {

using apiserver::ServiceAllocators;
using core::v1::Service;

Service Decode(const std::string& yaml) {
  absl::StatusOr<Service> s = api::DecodeAs<Service>(yaml);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : Service();
}

Service Svc(const std::string& name, const std::string& spec) {
  Service s = Decode("apiVersion: v1\nkind: Service\nmetadata: {name: " + name +
                     ", namespace: default}\nspec: " + spec + "\n");
  validation::SetServiceDefaults(&s);
  // The strategy's part on create: clusterIPs follows clusterIP.
  if (!s.spec().cluster_ip().empty() && s.spec().cluster_ips().empty()) {
    s.mutable_spec()->add_cluster_ips(s.spec().cluster_ip());
  }
  return s;
}

std::unique_ptr<ServiceAllocators> Pools(const std::string& cidr = "10.96.0.0/12",
                                         const std::string& ports = "30000-32767") {
  auto pools = ServiceAllocators::Create({cidr, ports});
  EXPECT_TRUE(pools.ok()) << pools.status();
  (*pools)->Repair({});  // ready: nothing stored
  return std::move(*pools);
}

std::string Errors(const validation::FieldErrors& errs) {
  std::string out;
  for (const auto& e : errs) out += e.ToString() + "\n";
  return out;
}

// ---------------------------------------------------------------- allocators

TEST(ServiceAllocators, ParsesRanges) {
  EXPECT_FALSE(ServiceAllocators::Create({"10.96.0.0", "30000-32767"}).ok());
  EXPECT_FALSE(ServiceAllocators::Create({"10.96.0.0/12", "32767-30000"}).ok());
  EXPECT_FALSE(ServiceAllocators::Create({"fd00::/108", "30000-32767"}).ok());
  auto pools = Pools("10.96.5.7/12");
  EXPECT_EQ(pools->ip_range().cidr(), "10.96.0.0/12");
  EXPECT_EQ(pools->ip_range().size(), (1 << 20) - 2);
  EXPECT_EQ(pools->FirstIp(), "10.96.0.1");
  EXPECT_EQ(pools->port_range().String(), "30000-32767");
}

TEST(ServiceAllocators, NotReadyUntilTheStoredServicesWereRead) {
  auto pools = ServiceAllocators::Create({});
  ASSERT_TRUE(pools.ok());
  Service s = Svc("a", "{ports: [{port: 80}]}");
  EXPECT_EQ((*pools)->Allocate(&s, nullptr).status().code(), absl::StatusCode::kUnavailable);
}

TEST(ServiceAllocators, AllocatesInRangeAndRefusesDuplicates) {
  auto pools = Pools();
  Service a = Svc("a", "{type: NodePort, ports: [{port: 80}]}");
  auto taken = pools->Allocate(&a, nullptr);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_TRUE(pools->IpAllocated(a.spec().cluster_ip()));
  ASSERT_EQ(a.spec().cluster_ips_size(), 1);
  EXPECT_EQ(a.spec().cluster_ips(0), a.spec().cluster_ip());
  EXPECT_EQ(a.spec().ip_families(0), "IPv4");
  EXPECT_EQ(a.spec().ip_family_policy(), "SingleStack");
  const int node_port = a.spec().ports(0).node_port();
  EXPECT_GE(node_port, 30000);
  EXPECT_LE(node_port, 32767);
  EXPECT_TRUE(pools->PortAllocated(node_port));

  Service b = Svc("b", "{clusterIP: " + a.spec().cluster_ip() + ", ports: [{port: 80}]}");
  auto refused = pools->Allocate(&b, nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            "Service \"b\" is invalid: spec.clusterIPs: Invalid value: []string{\"" +
                a.spec().cluster_ip() + "\"}: failed to allocate IP " + a.spec().cluster_ip() +
                ": provided IP is already allocated");

  Service c = Svc(
      "c", "{type: NodePort, ports: [{port: 80, nodePort: " + std::to_string(node_port) + "}]}");
  refused = pools->Allocate(&c, nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            "Service \"c\" is invalid: spec.ports[0].nodePort: Invalid value: " +
                std::to_string(node_port) + ": provided port is already allocated");
  // A refused Service keeps nothing.
  EXPECT_EQ(pools->ips_used(), 1);

  Service out = Svc("out", "{clusterIP: 10.0.0.5, ports: [{port: 80}]}");
  refused = pools->Allocate(&out, nullptr);
  EXPECT_EQ(refused.status().message(),
            "Service \"out\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.0.0.5\"}: "
            "failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid "
            "range. The range of valid IPs is 10.96.0.0/12");
  Service far = Svc("far", "{type: NodePort, ports: [{port: 80, nodePort: 40000}]}");
  refused = pools->Allocate(&far, nullptr);
  EXPECT_EQ(refused.status().message(),
            "Service \"far\" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided "
            "port is not in the valid range. The range of valid ports is 30000-32767");

  pools->ReleaseService(a);
  EXPECT_FALSE(pools->IpAllocated(a.spec().cluster_ip()));
  EXPECT_FALSE(pools->PortAllocated(node_port));
  EXPECT_TRUE(pools->Allocate(&b, nullptr).ok());
}

TEST(ServiceAllocators, HeadlessAndExternalNameTakeNoIp) {
  auto pools = Pools();
  Service h = Svc("h", "{clusterIP: None, selector: {app: x}}");
  ASSERT_TRUE(pools->Allocate(&h, nullptr).ok());
  EXPECT_EQ(h.spec().cluster_ip(), "None");
  EXPECT_EQ(h.spec().cluster_ips(0), "None");
  Service e = Svc("e", "{type: ExternalName, externalName: example.com}");
  ASSERT_TRUE(pools->Allocate(&e, nullptr).ok());
  EXPECT_EQ(e.spec().cluster_ip(), "");
  EXPECT_EQ(pools->ips_used(), 0);
}

TEST(ServiceAllocators, ExhaustionAndAbort) {
  auto pools = Pools("10.0.0.0/29", "30000-30001");  // 6 addresses, 2 ports
  std::vector<Service> held;
  for (int i = 0; i < 6; ++i) {
    Service s = Svc("s" + std::to_string(i), "{ports: [{port: 80}]}");
    ASSERT_TRUE(pools->Allocate(&s, nullptr).ok()) << i;
    held.push_back(s);
  }
  Service full = Svc("full", "{ports: [{port: 80}]}");
  auto refused = pools->Allocate(&full, nullptr);
  EXPECT_EQ(refused.status().message(),
            "Internal error occurred: failed to allocate a serviceIP: range is full");
  pools->ReleaseService(held[0]);
  Service np = Svc("np",
                   "{type: NodePort, ports: [{name: a, port: 80}, {name: b, port: 81}, "
                   "{name: c, port: 82}]}");
  refused = pools->Allocate(&np, nullptr);
  EXPECT_EQ(refused.status().message(),
            "Internal error occurred: failed to allocate a nodePort: range is full");
  // Nothing of the refused allocation stays taken.
  EXPECT_EQ(pools->ports_used(), 0);
  EXPECT_EQ(pools->ips_used(), 5);
  Service ok = Svc("ok", "{type: NodePort, ports: [{port: 80}]}");
  auto taken = pools->Allocate(&ok, nullptr);
  ASSERT_TRUE(taken.ok());
  pools->Release(*taken);  // the write did not happen
  EXPECT_EQ(pools->ports_used(), 0);
  EXPECT_EQ(pools->ips_used(), 5);
}

TEST(ServiceAllocators, UpdateKeepsHeldValuesAndReleasesDroppedOnes) {
  auto pools = Pools();
  Service old = Svc("a", "{type: NodePort, ports: [{port: 80}]}");
  ASSERT_TRUE(pools->Allocate(&old, nullptr).ok());
  Service now = old;  // unchanged values are not taken twice
  auto taken = pools->Allocate(&now, &old);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_TRUE(taken->empty());
  now.mutable_spec()->set_type("ClusterIP");
  now.mutable_spec()->mutable_ports(0)->clear_node_port();
  ASSERT_TRUE(pools->Allocate(&now, &old).ok());
  pools->ReleaseUnused(old, now);
  EXPECT_FALSE(pools->PortAllocated(old.spec().ports(0).node_port()));
  EXPECT_TRUE(pools->IpAllocated(old.spec().cluster_ip()));
}

TEST(ServiceAllocators, RepairRebuildsAfterRestartAndFreesLeaks) {
  Service a = Svc("a",
                  "{clusterIP: 10.96.0.10, type: NodePort, ports: [{port: 80, nodePort: "
                  "30080}]}");
  Service b = Svc("b", "{clusterIP: 10.96.0.10, ports: [{port: 80}]}");  // a duplicate
  auto restarted = ServiceAllocators::Create({});
  ASSERT_TRUE(restarted.ok());
  ServiceAllocators::RepairReport report = (*restarted)->Repair({&a, &b});
  EXPECT_TRUE((*restarted)->ready());
  EXPECT_EQ(report.marked, 2);
  EXPECT_EQ(report.duplicates, 1);
  EXPECT_TRUE((*restarted)->IpAllocated("10.96.0.10"));
  EXPECT_TRUE((*restarted)->PortAllocated(30080));
  Service c = Svc("c", "{clusterIP: 10.96.0.10, ports: [{port: 80}]}");
  EXPECT_FALSE((*restarted)->Allocate(&c, nullptr).ok());

  // A leak (taken, never stored) is freed after kLeakRepairs repairs.
  Service leaked = Svc("leaked", "{ports: [{port: 80}]}");
  ASSERT_TRUE((*restarted)->Allocate(&leaked, nullptr).ok());
  for (int i = 1; i < ServiceAllocators::kLeakRepairs; ++i) {
    EXPECT_EQ((*restarted)->Repair({&a}).freed, 0);
    EXPECT_TRUE((*restarted)->IpAllocated(leaked.spec().cluster_ip()));
  }
  EXPECT_EQ((*restarted)->Repair({&a}).freed, 1);
  EXPECT_FALSE((*restarted)->IpAllocated(leaked.spec().cluster_ip()));
  EXPECT_TRUE((*restarted)->IpAllocated("10.96.0.10"));
}

// ---------------------------------------------------------------- defaults and validation

TEST(ServiceValidation, Defaults) {
  Service s = Svc("web", "{type: NodePort, ports: [{port: 80}, {port: 81, targetPort: http}]}");
  EXPECT_EQ(s.spec().session_affinity(), "None");
  EXPECT_EQ(s.spec().ports(0).protocol(), "TCP");
  EXPECT_EQ(s.spec().ports(0).target_port().int_val(), 80);
  EXPECT_EQ(s.spec().ports(1).target_port().str_val(), "http");
  EXPECT_EQ(s.spec().external_traffic_policy(), "Cluster");
  EXPECT_EQ(s.spec().internal_traffic_policy(), "Cluster");
  Service c = Svc("c", "{ports: [{port: 80}]}");
  EXPECT_EQ(c.spec().type(), "ClusterIP");
  EXPECT_EQ(c.spec().external_traffic_policy(), "");
  Service aff = Svc("aff", "{sessionAffinity: ClientIP, ports: [{port: 80}]}");
  EXPECT_EQ(aff.spec().session_affinity_config().client_ip().timeout_seconds(), 10800);
}

TEST(ServiceValidation, KubernetesMessages) {
  EXPECT_EQ(Errors(validation::ValidateService(Svc("ok", "{ports: [{port: 80}]}"))), "");
  EXPECT_EQ(Errors(validation::ValidateService(Svc("hl", "{clusterIP: None}"))), "");
  EXPECT_EQ(Errors(validation::ValidateService(Svc("x", "{selector: {app: x}}"))),
            "spec.ports: Required value\n");
  EXPECT_EQ(Errors(validation::ValidateService(Svc("x", "{ports: [{port: 70000}]}"))),
            "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n"
            "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, "
            "inclusive\n");
  EXPECT_EQ(Errors(validation::ValidateService(Svc("x", "{ports: [{port: 80}, {port: 81}]}"))),
            "spec.ports[0].name: Required value\nspec.ports[1].name: Required value\n");
  EXPECT_EQ(Errors(validation::ValidateService(
                Svc("x", "{ports: [{name: a, port: 80}, {name: a, port: 81}]}"))),
            "spec.ports[1].name: Duplicate value: \"a\"\n");
  EXPECT_EQ(Errors(validation::ValidateService(
                Svc("x", "{ports: [{name: a, port: 80}, {name: b, port: 80}]}"))),
            "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", "
            "AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, "
            "IntVal:0, StrVal:\"\"}, NodePort:0}\n");
  EXPECT_EQ(Errors(validation::ValidateService(Svc("x", "{type: Foo, ports: [{port: 80}]}"))),
            "spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", "
            "\"ExternalName\", \"LoadBalancer\", \"NodePort\"\n");
  EXPECT_EQ(Errors(validation::ValidateService(Svc("x", "{ports: [{port: 80, protocol: ICMP}]}"))),
            "spec.ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", "
            "\"TCP\", \"UDP\"\n");
  EXPECT_EQ(Errors(validation::ValidateService(Svc("x", "{ports: [{port: 80, nodePort: 30080}]}"))),
            "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'\n");
  EXPECT_EQ(Errors(validation::ValidateService(
                Svc("x", "{type: NodePort, clusterIP: None, ports: [{port: 80}]}"))),
            "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort "
            "services\n");
  EXPECT_EQ(Errors(validation::ValidateService(Svc("Bad", "{ports: [{port: 80}]}"))).substr(0, 43),
            "metadata.name: Invalid value: \"Bad\": a DNS-");
  EXPECT_EQ(Errors(validation::ValidateService(Svc("x", "{type: ExternalName}"))),
            "spec.externalName: Required value\n");
  Service bad_ip = Svc("x", "{clusterIP: 1.2.3, ports: [{port: 80}]}");
  EXPECT_EQ(Errors(validation::ValidateService(bad_ip)),
            "spec.clusterIPs[0]: Invalid value: \"1.2.3\": must be a valid IP address, (e.g. "
            "10.9.8.7 or 2001:db8::ffff)\n");
}

TEST(ServiceValidation, ClusterIpMayNotChange) {
  Service old = Svc("x", "{clusterIP: 10.96.0.5, ports: [{port: 80}]}");
  Service now = old;
  now.mutable_spec()->set_cluster_ip("10.96.0.6");
  now.mutable_spec()->set_cluster_ips(0, "10.96.0.6");
  EXPECT_EQ(Errors(validation::ValidateServiceUpdate(now, old)),
            "spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.6\"}: may not change once "
            "set\n");
}

TEST(EndpointSliceValidation, Rules) {
  auto slice = api::DecodeAs<discovery::v1::EndpointSlice>(
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s, namespace: "
      "default}\naddressType: IPv4\nendpoints:\n- addresses: [10.244.0.5]\n  conditions: "
      "{ready: true}\n- addresses: [127.0.0.1]\n- addresses: []\nports: [{port: 80}]\n");
  ASSERT_TRUE(slice.ok()) << slice.status();
  validation::SetEndpointSliceDefaults(&*slice);
  EXPECT_EQ(slice->ports(0).protocol(), "TCP");
  EXPECT_EQ(slice->ports(0).name(), "");
  EXPECT_EQ(Errors(validation::ValidateEndpointSlice(*slice)),
            "endpoints[1].addresses[0]: Invalid value: \"127.0.0.1\": may not be in the loopback "
            "range (127.0.0.0/8, ::1/128)\nendpoints[2].addresses: Required value: must contain "
            "at least 1 address\n");
  discovery::v1::EndpointSlice changed = *slice;
  changed.set_address_type("IPv6");
  EXPECT_NE(Errors(validation::ValidateEndpointSliceUpdate(changed, *slice))
                .find("addressType: Invalid value: \"IPv6\": field is immutable"),
            std::string::npos);
}

TEST(EndpointsValidation, Rules) {
  auto ep = api::DecodeAs<core::v1::Endpoints>(
      "apiVersion: v1\nkind: Endpoints\nmetadata: {name: e, namespace: default}\nsubsets:\n- "
      "addresses: [{ip: 10.244.0.5}]\n  ports: [{port: 80}, {name: b, port: 81}]\n- ports: "
      "[{port: 80}]\n");
  ASSERT_TRUE(ep.ok()) << ep.status();
  validation::SetEndpointsDefaults(&*ep);
  EXPECT_EQ(Errors(validation::ValidateEndpoints(*ep)),
            "subsets[0].ports[0].name: Required value\nsubsets[1]: Required value: must specify "
            "`addresses` or `notReadyAddresses`\n");
}

TEST(EndpointsValidation, AllowLoopbackEndpointsDropsOnlyTheLoopbackErrors) {
  const api::KindInfo endpoints_kind{.group = "", .version = "v1", .kind = "Endpoints"};
  auto ep = api::DecodeAs<core::v1::Endpoints>(
      "apiVersion: v1\nkind: Endpoints\nmetadata: {name: e, namespace: default}\nsubsets:\n- "
      "addresses: [{ip: 127.244.1.5}]\n  ports: [{port: 80}]\n");
  ASSERT_TRUE(ep.ok()) << ep.status();
  validation::SetEndpointsDefaults(&*ep);
  const absl::Status refused = apiserver::ValidateForStorage(endpoints_kind, *ep, nullptr);
  EXPECT_NE(refused.message().find("may not be in the loopback range"), std::string::npos)
      << refused;
  const apiserver::AdmissionOptions allow{.allow_loopback_endpoints = true};
  EXPECT_TRUE(apiserver::ValidateForStorage(endpoints_kind, *ep, nullptr, allow).ok());
  ep->mutable_subsets(0)->mutable_addresses(0)->set_ip("0.0.0.0");
  EXPECT_FALSE(apiserver::ValidateForStorage(endpoints_kind, *ep, nullptr, allow).ok());

  const api::KindInfo slice_kind{
      .group = "discovery.k8s.io", .version = "v1", .kind = "EndpointSlice"};
  auto slice = api::DecodeAs<discovery::v1::EndpointSlice>(
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s, namespace: "
      "default}\naddressType: IPv4\nendpoints:\n- addresses: [127.244.0.5]\nports: [{port: "
      "80}]\n");
  ASSERT_TRUE(slice.ok()) << slice.status();
  validation::SetEndpointSliceDefaults(&*slice);
  EXPECT_FALSE(apiserver::ValidateForStorage(slice_kind, *slice, nullptr).ok());
  EXPECT_TRUE(apiserver::ValidateForStorage(slice_kind, *slice, nullptr, allow).ok());
  slice->mutable_endpoints(0)->clear_addresses();
  EXPECT_FALSE(apiserver::ValidateForStorage(slice_kind, *slice, nullptr, allow).ok());
}

// ---------------------------------------------------------------- printers

std::vector<std::string> Cells(const printers::KindPrinter& printer,
                               const google::protobuf::Message& object) {
  std::vector<std::string> out;
  for (const auto& cell : printer.row(object, absl::Now()).cells) {
    out.push_back(printers::CellText(cell));
  }
  return out;
}

TEST(ServicePrinters, KubectlColumns) {
  Service s = Svc("web",
                  "{type: NodePort, clusterIP: 10.96.0.20, selector: {app: web}, ports: "
                  "[{port: 80, nodePort: 30080}, {name: b, port: 53, protocol: UDP}]}");
  std::vector<std::string> cells = Cells(printers::ServicePrinter(), s);
  ASSERT_EQ(cells.size(), 7u);
  EXPECT_EQ(cells[1], "NodePort");
  EXPECT_EQ(cells[2], "10.96.0.20");
  EXPECT_EQ(cells[3], "<none>");
  EXPECT_EQ(cells[4], "80:30080/TCP,53/UDP");
  EXPECT_EQ(cells[6], "app=web");
  Service lb = Svc("lb", "{type: LoadBalancer, ports: [{port: 80}]}");
  cells = Cells(printers::ServicePrinter(), lb);
  EXPECT_EQ(cells[2], "<none>");
  EXPECT_EQ(cells[3], "<pending>");

  auto ep = api::DecodeAs<core::v1::Endpoints>(
      "apiVersion: v1\nkind: Endpoints\nmetadata: {name: e}\nsubsets:\n- addresses: [{ip: "
      "10.0.0.1}, {ip: 10.0.0.2}, {ip: 10.0.0.3}, {ip: 10.0.0.4}]\n  ports: [{port: 80}]\n");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(Cells(printers::EndpointsPrinter(), *ep)[1],
            "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...");
  EXPECT_EQ(Cells(printers::EndpointsPrinter(), core::v1::Endpoints())[1], "<none>");

  auto slice = api::DecodeAs<discovery::v1::EndpointSlice>(
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s}\naddressType: "
      "IPv4\nendpoints: [{addresses: [10.0.0.1]}, {addresses: [10.0.0.2]}]\nports: [{port: "
      "80}, {name: x}]\n");
  ASSERT_TRUE(slice.ok());
  cells = Cells(printers::EndpointSlicePrinter(), *slice);
  EXPECT_EQ(cells[1], "IPv4");
  EXPECT_EQ(cells[2], "80,x");
  EXPECT_EQ(cells[3], "10.0.0.1,10.0.0.2");
  EXPECT_EQ(Cells(printers::EndpointSlicePrinter(), discovery::v1::EndpointSlice())[3], "<unset>");
}

}  // namespace
}  // namespace minik8s
