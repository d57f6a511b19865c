// The endpoint controllers in a ControllerManager against a real store and
// apiserver: a Service's ready pods appear in its EndpointSlice and
// Endpoints, an unready pod turns not ready in both, and the slices go with
// the Service (garbage collector) as does the Endpoints object.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/intstr.h"
#include "controllers/controller_manager.h"
#include "gtest/gtest.h"
#include "testing/control_plane.h"
#include "testing/wait.h"

namespace minik8s::controllers {
namespace {

using minik8s::core::v1::Endpoints;
using minik8s::core::v1::Pod;
using minik8s::core::v1::Service;
using minik8s::discovery::v1::EndpointSlice;

const client::ListOptions kWebSlices{.label_selector = "kubernetes.io/service-name=web"};

Service MakeService() {
  Service s;
  s.mutable_metadata()->set_name("web");
  s.mutable_metadata()->set_namespace_("default");
  (*s.mutable_spec()->mutable_selector())["app"] = "web";
  auto* port = s.mutable_spec()->add_ports();
  port->set_port(80);
  *port->mutable_target_port() = api::IntOrStringFromString("http");
  return s;
}

// A pod as a kubelet would have reported it: Running with an IP.
absl::Status CreateRunningPod(client::Clientset* cs, const std::string& name, const std::string& ip,
                              bool ready) {
  Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_("default");
  (*p.mutable_metadata()->mutable_labels())["app"] = "web";
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("nginx");
  c->set_image("nginx:1.25");
  auto* cp = c->add_ports();
  cp->set_name("http");
  cp->set_container_port(8080);
  absl::StatusOr<Pod> made = cs->Pods().Create(p);
  if (!made.ok()) return made.status();
  Pod running = *made;
  running.mutable_status()->set_phase("Running");
  running.mutable_status()->set_pod_ip(ip);
  running.mutable_status()->add_pod_ips()->set_ip(ip);
  auto* cond = running.mutable_status()->add_conditions();
  cond->set_type("Ready");
  cond->set_status(ready ? "True" : "False");
  return cs->Pods().UpdateStatus(running).status();
}

absl::Status SetReady(client::Clientset* cs, const std::string& name, bool ready) {
  absl::StatusOr<Pod> pod = cs->Pods().Get("default", name);
  if (!pod.ok()) return pod.status();
  for (auto& c : *pod->mutable_status()->mutable_conditions()) {
    if (c.type() == "Ready") c.set_status(ready ? "True" : "False");
  }
  return cs->Pods().UpdateStatus(*pod).status();
}

// "ip:ready ip:ready ..." over the Service's slices, in slice order.
std::string SliceSummary(client::Clientset* cs) {
  auto slices = cs->For<EndpointSlice>().List("default", kWebSlices);
  if (!slices.ok()) return slices.status().ToString();
  std::string out;
  for (const EndpointSlice& s : slices->items) {
    for (const auto& e : s.endpoints()) {
      absl::StrAppend(&out, out.empty() ? "" : " ", e.addresses(0), ":",
                      e.conditions().ready() ? "ready" : "notready");
    }
    for (const auto& p : s.ports()) absl::StrAppend(&out, " port=", p.port());
  }
  return out;
}

std::string EndpointsSummary(client::Clientset* cs) {
  absl::StatusOr<Endpoints> e = cs->For<Endpoints>().Get("default", "web");
  if (!e.ok()) return e.status().ToString();
  std::string out;
  for (const auto& s : e->subsets()) {
    for (const auto& a : s.addresses()) absl::StrAppend(&out, "ready=", a.ip(), " ");
    for (const auto& a : s.not_ready_addresses()) absl::StrAppend(&out, "notready=", a.ip(), " ");
    for (const auto& p : s.ports()) absl::StrAppend(&out, "port=", p.port());
  }
  return out;
}

TEST(EndpointControllersE2E, SlicesAndEndpointsFollowThePods) {
  const std::string missing = testing::ControlPlane::MissingPrerequisite(
      testing::BackendKind::kMinik8sStore, {"minik8s-store", "minik8s-apiserver"});
  if (!missing.empty()) GTEST_SKIP() << missing;
  testing::ControlPlane cp;
  ASSERT_TRUE(cp.Start().ok());
  client::Clientset* cs = cp.clientset();

  ControllerManagerOptions options;
  options.server = cp.apiserver_address();
  options.controllers = "endpointslice,endpoint,garbagecollector";
  options.leader_election.leader_elect = false;
  auto cm = ControllerManager::Create(options);
  ASSERT_TRUE(cm.ok()) << cm.status();
  ASSERT_TRUE((*cm)->Start().ok());

  ASSERT_TRUE(cs->For<Service>().Create(MakeService()).ok());
  // No pods yet: one empty placeholder slice, an Endpoints with no subsets.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto l = cs->For<EndpointSlice>().List("default", kWebSlices);
        return l.ok() && l->items.size() == 1;
      },
      absl::Seconds(10)));
  ASSERT_TRUE(CreateRunningPod(cs, "a", "10.244.1.2", true).ok());
  ASSERT_TRUE(CreateRunningPod(cs, "b", "10.244.1.3", true).ok());
  std::string want = "10.244.1.2:ready 10.244.1.3:ready port=8080";
  EXPECT_TRUE(testing::WaitFor([&] { return SliceSummary(cs) == want; }, absl::Seconds(10)))
      << SliceSummary(cs);
  std::string want_ep = "ready=10.244.1.2 ready=10.244.1.3 port=8080";
  EXPECT_TRUE(testing::WaitFor([&] { return EndpointsSummary(cs) == want_ep; }, absl::Seconds(10)))
      << EndpointsSummary(cs);
  auto slices = cs->For<EndpointSlice>().List("default", kWebSlices);
  ASSERT_TRUE(slices.ok());
  EXPECT_EQ(slices->items.size(), 1u) << "the placeholder was reused";

  // A pod that stops being ready stops being ready in both.
  ASSERT_TRUE(SetReady(cs, "b", false).ok());
  want = "10.244.1.2:ready 10.244.1.3:notready port=8080";
  EXPECT_TRUE(testing::WaitFor([&] { return SliceSummary(cs) == want; }, absl::Seconds(5)))
      << SliceSummary(cs);
  want_ep = "ready=10.244.1.2 notready=10.244.1.3 port=8080";
  EXPECT_TRUE(testing::WaitFor([&] { return EndpointsSummary(cs) == want_ep; }, absl::Seconds(5)))
      << EndpointsSummary(cs);

  // The Service goes: its slices and its Endpoints go with it.
  ASSERT_TRUE(cs->For<Service>().Delete("default", "web").ok());
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        auto l = cs->For<EndpointSlice>().List("default", kWebSlices);
        return l.ok() && l->items.empty();
      },
      absl::Seconds(10)))
      << SliceSummary(cs);
  EXPECT_TRUE(testing::WaitFor(
      [&] { return api::IsNotFound(cs->For<Endpoints>().Get("default", "web").status()); },
      absl::Seconds(10)));
  (*cm)->Stop();
}

}  // namespace
}  // namespace minik8s::controllers
