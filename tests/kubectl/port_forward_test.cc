// mkctl port-forward's argument handling: port specs, named and Service
// ports, listen addresses (kubectl/cmd/port_forward.h).
#include "kubectl/cmd/port_forward.h"

#include "gtest/gtest.h"

namespace minik8s::kubectl {
namespace {

core::v1::Pod WebPod() {
  core::v1::Pod pod;
  pod.mutable_metadata()->set_name("web");
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("nginx");
  auto* p = c->add_ports();
  p->set_name("http");
  p->set_container_port(8080);
  return pod;
}

core::v1::Service WebService() {
  core::v1::Service svc;
  svc.mutable_metadata()->set_name("web");
  auto* named = svc.mutable_spec()->add_ports();
  named->set_name("web");
  named->set_port(80);
  named->mutable_target_port()->set_str_val("http");
  auto* numbered = svc.mutable_spec()->add_ports();
  numbered->set_name("alt");
  numbered->set_port(81);
  numbered->mutable_target_port()->set_int_val(9000);
  auto* same = svc.mutable_spec()->add_ports();
  same->set_port(82);
  return svc;
}

TEST(PortForwardPorts, ParsesKubectlForms) {
  auto ports = ParsePortSpecs({"8080:80", "5000", ":443"});
  ASSERT_TRUE(ports.ok()) << ports.status();
  EXPECT_EQ(*ports, (std::vector<ForwardedPort>{{8080, 80}, {5000, 5000}, {0, 443}}));
}

TEST(PortForwardPorts, RefusesBadSpecsWithKubectlMessages) {
  EXPECT_EQ(ParsePortSpecs({"1:2:3"}).status().message(), "invalid port format '1:2:3'");
  EXPECT_EQ(ParsePortSpecs({"x:80"}).status().message(),
            "Error parsing local port 'x': strconv.ParseUint: parsing \"x\": invalid syntax");
  EXPECT_EQ(ParsePortSpecs({"80:70000"}).status().message(),
            "Error parsing remote port '70000': strconv.ParseUint: parsing \"70000\": value out "
            "of range");
  EXPECT_EQ(ParsePortSpecs({"80:0"}).status().message(), "remote port must be > 0");
}

TEST(PortForwardPorts, NamedContainerPortOfAPod) {
  auto specs = TranslatePortSpecs({"9999:http", "http", "7000:70"}, WebPod(), nullptr);
  ASSERT_TRUE(specs.ok()) << specs.status();
  EXPECT_EQ(*specs, (std::vector<std::string>{"9999:8080", "8080", "7000:70"}));
  EXPECT_EQ(TranslatePortSpecs({"grpc"}, WebPod(), nullptr).status().message(),
            "Pod 'web' does not have a named port 'grpc'");
}

TEST(PortForwardPorts, ServicePortBecomesTheTargetPort) {
  const core::v1::Service svc = WebService();
  auto specs = TranslatePortSpecs({"8000:80", "81", ":82", "5000:web"}, WebPod(), &svc);
  ASSERT_TRUE(specs.ok()) << specs.status();
  EXPECT_EQ(*specs, (std::vector<std::string>{"8000:8080", "81:9000", ":82", "5000:8080"}));
  EXPECT_EQ(TranslatePortSpecs({"8000:90"}, WebPod(), &svc).status().message(),
            "Service web does not have a service port 90");
  EXPECT_EQ(TranslatePortSpecs({"nope"}, WebPod(), &svc).status().message(),
            "Service 'web' does not have a named port 'nope'");
  core::v1::Pod bare = WebPod();
  bare.mutable_spec()->mutable_containers(0)->clear_ports();
  EXPECT_EQ(TranslatePortSpecs({"80"}, bare, &svc).status().message(),
            "Pod 'web' does not have a named port 'http'");
}

TEST(PortForwardAddresses, LocalhostIsLoopback) {
  auto a = ParseListenAddresses("localhost");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, (std::vector<std::string>{"127.0.0.1"}));
  a = ParseListenAddresses("localhost,127.0.0.2,127.0.0.1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, (std::vector<std::string>{"127.0.0.1", "127.0.0.2"}));
  EXPECT_EQ(ParseListenAddresses("example").status().message(), "example is not a valid IP");
}

}  // namespace
}  // namespace minik8s::kubectl
