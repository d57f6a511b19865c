// The endpoint controllers without a server: which pods become endpoints
// and on which port, how slices are packed, kept and emptied, the legacy
// Endpoints object, and EndpointSliceController::Sync against in-memory
// caches and a fake client (stale-cache wait, selector-less Services).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/intstr.h"
#include "api/time.h"
#include "client/indexer.h"
#include "common/fake_clock.h"
#include "controllers/endpointslice/endpoints_controllers.h"
#include "controllers/endpointslice/legacy_endpoints.h"
#include "controllers/endpointslice/service_pods.h"
#include "controllers/endpointslice/slice_reconciler.h"
#include "controllers/endpointslice/trigger_time_tracker.h"
#include "gtest/gtest.h"

namespace minik8s::controllers {
namespace {

using minik8s::core::v1::Endpoints;
using minik8s::core::v1::Pod;
using minik8s::core::v1::Service;
using minik8s::discovery::v1::EndpointSlice;

Service MakeService(const std::string& target_port = "") {
  Service s;
  s.mutable_metadata()->set_name("web");
  s.mutable_metadata()->set_namespace_("default");
  s.mutable_metadata()->set_uid("svc-uid");
  (*s.mutable_metadata()->mutable_labels())["tier"] = "front";
  (*s.mutable_spec()->mutable_selector())["app"] = "web";
  s.mutable_spec()->set_cluster_ip("10.96.0.10");
  auto* port = s.mutable_spec()->add_ports();
  port->set_name("http");
  port->set_protocol("TCP");
  port->set_port(80);
  *port->mutable_target_port() =
      target_port.empty() ? api::IntOrStringFromInt(8080) : api::IntOrStringFromString(target_port);
  return s;
}

Pod MakePod(const std::string& name, const std::string& ip, bool ready, int32_t http_port = 8080) {
  Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_("default");
  p.mutable_metadata()->set_uid("uid-" + name);
  (*p.mutable_metadata()->mutable_labels())["app"] = "web";
  p.mutable_spec()->set_node_name("node-1");
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("nginx");
  auto* cp = c->add_ports();
  cp->set_name("web-port");
  cp->set_container_port(http_port);
  cp->set_protocol("TCP");
  p.mutable_status()->set_phase(ip.empty() ? "Pending" : "Running");
  p.mutable_status()->set_pod_ip(ip);
  auto* cond = p.mutable_status()->add_conditions();
  cond->set_type("Ready");
  cond->set_status(ready ? "True" : "False");
  return p;
}

std::vector<const Pod*> Ptrs(const std::vector<Pod>& pods) {
  std::vector<const Pod*> out;
  for (const Pod& p : pods) out.push_back(&p);
  return out;
}

std::vector<std::string> Addresses(const EndpointSlice& s) {
  std::vector<std::string> out;
  for (const auto& e : s.endpoints()) out.push_back(e.addresses(0));
  return out;
}

TEST(ServicePods, WhichPodsAreEndpoints) {
  Pod running = MakePod("a", "10.244.0.2", true);
  EXPECT_TRUE(ShouldPodBeInEndpoints(running, false));
  EXPECT_FALSE(ShouldPodBeInEndpoints(MakePod("b", "", true), true));  // no IP yet
  Pod done = running;
  done.mutable_status()->set_phase("Succeeded");
  EXPECT_FALSE(ShouldPodBeInEndpoints(done, true));
  Pod terminating = running;
  terminating.mutable_metadata()->mutable_deletion_timestamp()->set_seconds(1);
  EXPECT_FALSE(ShouldPodBeInEndpoints(terminating, false));
  EXPECT_TRUE(ShouldPodBeInEndpoints(terminating, true));
}

TEST(ServicePods, FindPortByNumberNameAndProtocol) {
  Pod pod = MakePod("a", "10.244.0.2", true, 9000);
  EXPECT_EQ(*FindPort(pod, MakeService().spec().ports(0)), 8080);
  EXPECT_EQ(*FindPort(pod, MakeService("web-port").spec().ports(0)), 9000);
  EXPECT_FALSE(FindPort(pod, MakeService("nope").spec().ports(0)).ok());
  Service udp = MakeService("web-port");
  udp.mutable_spec()->mutable_ports(0)->set_protocol("UDP");
  EXPECT_FALSE(FindPort(pod, udp.spec().ports(0)).ok());  // the name matches, the protocol not
  Service unset = MakeService();
  unset.mutable_spec()->mutable_ports(0)->clear_target_port();
  EXPECT_EQ(*FindPort(pod, unset.spec().ports(0)), 80);
}

TEST(ServicePods, ServicesSelectingPodSkipSelectorlessAndExternalName) {
  client::Indexer cache(client::DefaultIndexersFor(Service::descriptor()));
  Service web = MakeService();
  Service manual = MakeService();
  manual.mutable_metadata()->set_name("manual");
  manual.mutable_spec()->clear_selector();
  Service external = MakeService();
  external.mutable_metadata()->set_name("external");
  external.mutable_spec()->set_type("ExternalName");
  Service other = MakeService();
  other.mutable_metadata()->set_name("other");
  (*other.mutable_spec()->mutable_selector())["app"] = "db";
  for (const Service& s : {web, manual, external, other}) {
    cache.Upsert(std::make_shared<Service>(s));
  }
  std::vector<ServicePtr> got =
      ServicesSelectingPod(client::Lister<Service>(&cache), MakePod("a", "10.244.0.2", true));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->metadata().name(), "web");
}

TEST(SliceReconciler, NewServiceGetsSlicesOfAtMostMaxEndpoints) {
  std::vector<Pod> pods;
  for (int i = 0; i < 5; ++i) {
    pods.push_back(MakePod(absl::StrCat("p", i), absl::StrCat("10.244.0.", 10 + i), i != 4));
  }
  Service svc = MakeService();
  SliceChanges c = ReconcileSlices(svc, DesiredEndpoints(svc, Ptrs(pods)), {}, 2);
  ASSERT_EQ(c.create.size(), 3u);
  EXPECT_TRUE(c.update.empty());
  EXPECT_TRUE(c.remove.empty());
  EXPECT_EQ(Addresses(c.create[0]), (std::vector<std::string>{"10.244.0.10", "10.244.0.11"}));
  EXPECT_EQ(Addresses(c.create[2]), (std::vector<std::string>{"10.244.0.14"}));
  const EndpointSlice& s = c.create[0];
  EXPECT_EQ(s.metadata().generate_name(), "web-");
  EXPECT_EQ(s.address_type(), "IPv4");
  EXPECT_EQ(s.metadata().labels().at("kubernetes.io/service-name"), "web");
  EXPECT_EQ(s.metadata().labels().at("endpointslice.kubernetes.io/managed-by"),
            "endpointslice-controller.k8s.io");
  EXPECT_EQ(s.metadata().labels().at("tier"), "front");
  ASSERT_EQ(s.metadata().owner_references_size(), 1);
  EXPECT_EQ(s.metadata().owner_references(0).kind(), "Service");
  EXPECT_TRUE(s.metadata().owner_references(0).controller());
  ASSERT_EQ(s.ports_size(), 1);
  EXPECT_EQ(s.ports(0).name(), "http");
  EXPECT_EQ(s.ports(0).port(), 8080);
  EXPECT_EQ(s.ports(0).protocol(), "TCP");
  const auto& e = s.endpoints(0);
  EXPECT_EQ(e.target_ref().kind(), "Pod");
  EXPECT_EQ(e.target_ref().name(), "p0");
  EXPECT_EQ(e.node_name(), "node-1");
  EXPECT_TRUE(e.conditions().ready());
  const auto& unready = c.create[2].endpoints(0);
  EXPECT_FALSE(unready.conditions().ready());
  EXPECT_FALSE(unready.conditions().serving());
  EXPECT_FALSE(unready.conditions().terminating());
}

TEST(SliceReconciler, TerminatingPodStaysServingButNotReady) {
  Pod pod = MakePod("a", "10.244.0.2", true);
  pod.mutable_metadata()->mutable_deletion_timestamp()->set_seconds(5);
  Service svc = MakeService();
  std::vector<DesiredEndpoint> d = DesiredEndpoints(svc, {&pod});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FALSE(d[0].endpoint.conditions().ready());
  EXPECT_TRUE(d[0].endpoint.conditions().serving());
  EXPECT_TRUE(d[0].endpoint.conditions().terminating());
  svc.mutable_spec()->set_publish_not_ready_addresses(true);
  EXPECT_TRUE(DesiredEndpoints(svc, {&pod})[0].endpoint.conditions().ready());
}

// Slices as the apiserver would hold them after the creates.
std::vector<EndpointSlice> Created(SliceChanges c) {
  std::vector<EndpointSlice> out;
  for (size_t i = 0; i < c.create.size(); ++i) {
    EndpointSlice s = c.create[i];
    s.mutable_metadata()->set_name(absl::StrCat("web-", i));
    out.push_back(s);
  }
  return out;
}

TEST(SliceReconciler, UnchangedPodsMakeNoWrites) {
  std::vector<Pod> pods = {MakePod("a", "10.244.0.2", true), MakePod("b", "10.244.0.3", true)};
  Service svc = MakeService();
  std::vector<EndpointSlice> existing =
      Created(ReconcileSlices(svc, DesiredEndpoints(svc, Ptrs(pods)), {}, 100));
  EXPECT_TRUE(ReconcileSlices(svc, DesiredEndpoints(svc, Ptrs(pods)), existing, 100).empty());
}

TEST(SliceReconciler, ChangesTouchOnlyTheSlicesThatHoldThem) {
  std::vector<Pod> pods;
  for (int i = 0; i < 4; ++i) {
    pods.push_back(MakePod(absl::StrCat("p", i), absl::StrCat("10.244.0.", 10 + i), true));
  }
  Service svc = MakeService();
  std::vector<EndpointSlice> existing =
      Created(ReconcileSlices(svc, DesiredEndpoints(svc, Ptrs(pods)), {}, 2));
  ASSERT_EQ(existing.size(), 2u);
  // p3 goes unready, p0 goes away, p4 comes.
  pods[3] = MakePod("p3", "10.244.0.13", false);
  pods.erase(pods.begin());
  pods.push_back(MakePod("p4", "10.244.0.14", true));
  SliceChanges c = ReconcileSlices(svc, DesiredEndpoints(svc, Ptrs(pods)), existing, 2);
  EXPECT_TRUE(c.create.empty());
  EXPECT_TRUE(c.remove.empty());
  ASSERT_EQ(c.update.size(), 2u);
  std::map<std::string, std::vector<std::string>> by_name;
  for (const EndpointSlice& s : c.update) by_name[s.metadata().name()] = Addresses(s);
  // p1 stays where it was; the freed place takes p4.
  EXPECT_EQ(by_name["web-0"], (std::vector<std::string>{"10.244.0.11", "10.244.0.14"}));
  EXPECT_EQ(by_name["web-1"], (std::vector<std::string>{"10.244.0.12", "10.244.0.13"}));
}

TEST(SliceReconciler, PodsOnOtherPortsGetTheirOwnSlice) {
  Service svc = MakeService("web-port");
  std::vector<Pod> pods = {MakePod("a", "10.244.0.2", true, 8080),
                           MakePod("b", "10.244.0.3", true, 9090)};
  SliceChanges c = ReconcileSlices(svc, DesiredEndpoints(svc, Ptrs(pods)), {}, 100);
  ASSERT_EQ(c.create.size(), 2u);
  EXPECT_NE(c.create[0].ports(0).port(), c.create[1].ports(0).port());
}

TEST(SliceReconciler, NoEndpointsLeavesOnePlaceholder) {
  Service svc = MakeService();
  SliceChanges fresh = ReconcileSlices(svc, {}, {}, 100);
  ASSERT_EQ(fresh.create.size(), 1u);
  EXPECT_EQ(fresh.create[0].endpoints_size(), 0);
  EXPECT_EQ(fresh.create[0].ports_size(), 0);

  // The last pods go: one slice is emptied and kept as the placeholder,
  // the others deleted.
  std::vector<Pod> pods = {MakePod("a", "10.244.0.2", true), MakePod("b", "10.244.0.3", true)};
  std::vector<EndpointSlice> existing =
      Created(ReconcileSlices(svc, DesiredEndpoints(svc, Ptrs(pods)), {}, 1));
  SliceChanges c = ReconcileSlices(svc, {}, existing, 1);
  EXPECT_TRUE(c.create.empty());
  ASSERT_EQ(c.update.size(), 1u);
  EXPECT_EQ(c.update[0].endpoints_size(), 0);
  EXPECT_EQ(c.update[0].ports_size(), 0);
  EXPECT_EQ(c.remove.size(), 1u);
  // And an existing placeholder is left alone.
  std::vector<EndpointSlice> placeholder = Created(fresh);
  EXPECT_TRUE(ReconcileSlices(svc, {}, placeholder, 100).empty());
}

TEST(SliceReconciler, HeadlessLabelAndHostname) {
  Service svc = MakeService();
  svc.mutable_spec()->set_cluster_ip("None");
  Pod pod = MakePod("a", "10.244.0.2", true);
  pod.mutable_spec()->set_hostname("a");
  pod.mutable_spec()->set_subdomain("web");
  SliceChanges c = ReconcileSlices(svc, DesiredEndpoints(svc, {&pod}), {}, 100);
  ASSERT_EQ(c.create.size(), 1u);
  EXPECT_EQ(c.create[0].metadata().labels().count("service.kubernetes.io/headless"), 1u);
  EXPECT_EQ(c.create[0].endpoints(0).hostname(), "a");
}

TEST(LegacyEndpoints, ReadyAndNotReadyAddressesSortedByIp) {
  Service svc = MakeService();
  std::vector<Pod> pods = {MakePod("b", "10.244.0.9", true), MakePod("a", "10.244.0.3", true),
                           MakePod("c", "10.244.0.5", false), MakePod("d", "", true)};
  Endpoints e = DesiredLegacyEndpoints(svc, Ptrs(pods));
  EXPECT_EQ(e.metadata().name(), "web");
  ASSERT_EQ(e.subsets_size(), 1);
  const auto& s = e.subsets(0);
  ASSERT_EQ(s.addresses_size(), 2);
  EXPECT_EQ(s.addresses(0).ip(), "10.244.0.3");
  EXPECT_EQ(s.addresses(1).ip(), "10.244.0.9");
  EXPECT_EQ(s.addresses(0).target_ref().name(), "a");
  ASSERT_EQ(s.not_ready_addresses_size(), 1);
  EXPECT_EQ(s.not_ready_addresses(0).ip(), "10.244.0.5");
  ASSERT_EQ(s.ports_size(), 1);
  EXPECT_EQ(s.ports(0).port(), 8080);
  EXPECT_EQ(s.ports(0).name(), "http");
}

TEST(LegacyEndpoints, TerminatingPodsLeaveAndOverCapacityIsTruncated) {
  Service svc = MakeService();
  Pod terminating = MakePod("a", "10.244.0.3", true);
  terminating.mutable_metadata()->mutable_deletion_timestamp()->set_seconds(1);
  EXPECT_EQ(DesiredLegacyEndpoints(svc, {&terminating}).subsets_size(), 0);

  std::vector<Pod> pods;
  for (int i = 0; i < kMaxEndpointsAddresses + 5; ++i) {
    pods.push_back(
        MakePod(absl::StrCat("p", i), absl::StrCat("10.244.", i / 250, ".", 1 + i % 250), true));
  }
  Endpoints e = DesiredLegacyEndpoints(svc, Ptrs(pods));
  EXPECT_EQ(e.subsets(0).addresses_size(), kMaxEndpointsAddresses);
  EXPECT_EQ(e.metadata().annotations().at("endpoints.kubernetes.io/over-capacity"), "truncated");
}

class FakeEndpointsClient : public EndpointsClient {
 public:
  absl::StatusOr<EndpointSlice> CreateSlice(const EndpointSlice& slice) override {
    absl::MutexLock l(&mu);
    EndpointSlice s = slice;
    s.mutable_metadata()->set_name(absl::StrCat(slice.metadata().generate_name(), next_name++));
    s.mutable_metadata()->set_resource_version(absl::StrCat(++rv));
    created.push_back(s);
    return s;
  }
  absl::StatusOr<EndpointSlice> UpdateSlice(const EndpointSlice& slice) override {
    absl::MutexLock l(&mu);
    EndpointSlice s = slice;
    s.mutable_metadata()->set_resource_version(absl::StrCat(++rv));
    updated.push_back(s);
    return s;
  }
  absl::Status DeleteSlice(absl::string_view, absl::string_view name) override {
    absl::MutexLock l(&mu);
    deleted.emplace_back(name);
    return absl::OkStatus();
  }
  absl::StatusOr<Endpoints> CreateEndpoints(const Endpoints& e) override {
    absl::MutexLock l(&mu);
    endpoints_written.push_back(e);
    return e;
  }
  absl::StatusOr<Endpoints> UpdateEndpoints(const Endpoints& e) override {
    absl::MutexLock l(&mu);
    endpoints_written.push_back(e);
    return e;
  }
  absl::Status DeleteEndpoints(absl::string_view, absl::string_view name) override {
    absl::MutexLock l(&mu);
    deleted.emplace_back(name);
    return absl::OkStatus();
  }
  absl::Mutex mu;
  int next_name = 0;
  int64_t rv = 100;
  std::vector<EndpointSlice> created, updated;
  std::vector<Endpoints> endpoints_written;
  std::vector<std::string> deleted;
};

class EndpointSliceSyncTest : public ::testing::Test {
 protected:
  EndpointSliceSyncTest()
      : services_(client::DefaultIndexersFor(Service::descriptor())),
        pods_(client::DefaultIndexersFor(Pod::descriptor())),
        slices_(client::DefaultIndexersFor(EndpointSlice::descriptor())),
        endpoints_(client::DefaultIndexersFor(Endpoints::descriptor())),
        controller_(client::Lister<Service>(&services_), client::Lister<Pod>(&pods_),
                    client::Lister<EndpointSlice>(&slices_), &client_, nullptr, {.clock = &clock_}),
        legacy_(client::Lister<Service>(&services_), client::Lister<Pod>(&pods_),
                client::Lister<Endpoints>(&endpoints_), &client_, nullptr, {.clock = &clock_}) {}

  common::FakeClock clock_;
  client::Indexer services_, pods_, slices_, endpoints_;
  FakeEndpointsClient client_;
  EndpointSliceController controller_;
  EndpointsController legacy_;
};

TEST_F(EndpointSliceSyncTest, WaitsForItsOwnWritesBeforeActingAgain) {
  services_.Upsert(std::make_shared<Service>(MakeService()));
  pods_.Upsert(std::make_shared<Pod>(MakePod("a", "10.244.0.2", true)));
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  ASSERT_EQ(client_.created.size(), 1u);
  // The cache has not seen the new slice: a second sync must not create
  // another one.
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  EXPECT_EQ(client_.created.size(), 1u);
  // Once the cache shows it, nothing more to do.
  slices_.Upsert(std::make_shared<EndpointSlice>(client_.created[0]));
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  EXPECT_EQ(client_.created.size(), 1u);
  EXPECT_TRUE(client_.updated.empty());
  // A pod added now goes into the existing slice.
  pods_.Upsert(std::make_shared<Pod>(MakePod("b", "10.244.0.3", true)));
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  ASSERT_EQ(client_.updated.size(), 1u);
  EXPECT_EQ(client_.updated[0].endpoints_size(), 2);
}

TEST_F(EndpointSliceSyncTest, SelectorlessServicesKeepTheirHandWrittenEndpoints) {
  Service manual = MakeService();
  manual.mutable_spec()->clear_selector();
  services_.Upsert(std::make_shared<Service>(manual));
  ASSERT_TRUE(controller_.Sync("default/web").ok());
  ASSERT_TRUE(legacy_.Sync("default/web").ok());
  EXPECT_TRUE(client_.created.empty());
  EXPECT_TRUE(client_.endpoints_written.empty());
}

TEST_F(EndpointSliceSyncTest, LegacyEndpointsWrittenOnceAndDeletedWithTheService) {
  services_.Upsert(std::make_shared<Service>(MakeService()));
  pods_.Upsert(std::make_shared<Pod>(MakePod("a", "10.244.0.2", true)));
  ASSERT_TRUE(legacy_.Sync("default/web").ok());
  ASSERT_EQ(client_.endpoints_written.size(), 1u);
  endpoints_.Upsert(std::make_shared<Endpoints>(client_.endpoints_written[0]));
  ASSERT_TRUE(legacy_.Sync("default/web").ok());
  EXPECT_EQ(client_.endpoints_written.size(), 1u);  // already right
  services_.Delete("default/web");
  ASSERT_TRUE(legacy_.Sync("default/web").ok());
  EXPECT_EQ(client_.deleted, std::vector<std::string>{"web"});
}

TEST_F(EndpointSliceSyncTest, PodChangesEnqueueOnlyTheirServices) {
  services_.Upsert(std::make_shared<Service>(MakeService()));
  auto before = std::make_shared<Pod>(MakePod("a", "10.244.0.2", false));
  auto status_only = std::make_shared<Pod>(*before);
  status_only->mutable_status()->set_host_ip("192.168.0.1");  // no endpoint field
  controller_.OnPodUpdate(before, status_only);
  EXPECT_EQ(controller_.queue()->Len(), 0);
  auto ready = std::make_shared<Pod>(MakePod("a", "10.244.0.2", true));
  controller_.OnPodUpdate(before, ready);
  EXPECT_EQ(controller_.queue()->Len(), 1);
}

// endpoints.kubernetes.io/last-change-trigger-time: the tracker's times
// (Service creation first, then the earliest Ready transition that moved,
// none for an undatable change) and the annotation on the slices and the
// Endpoints object the controllers write.
namespace trigger_time {

using minik8s::core::v1::Endpoints;
using minik8s::core::v1::Pod;
using minik8s::core::v1::Service;
using minik8s::discovery::v1::EndpointSlice;

const absl::Time kT0 = absl::FromUnixSeconds(1796000000);  // 2026-11-30T...

Service MakeService(absl::Time created) {
  Service s;
  s.mutable_metadata()->set_name("web");
  s.mutable_metadata()->set_namespace_("default");
  s.mutable_metadata()->set_uid("svc-uid");
  *s.mutable_metadata()->mutable_creation_timestamp() = api::ToProtoTime(created);
  (*s.mutable_spec()->mutable_selector())["app"] = "web";
  s.mutable_spec()->set_cluster_ip("10.96.0.10");
  auto* port = s.mutable_spec()->add_ports();
  port->set_name("http");
  port->set_protocol("TCP");
  port->set_port(80);
  *port->mutable_target_port() = api::IntOrStringFromInt(8080);
  return s;
}

Pod MakePod(const std::string& name, const std::string& ip, bool ready, absl::Time transition) {
  Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_("default");
  p.mutable_metadata()->set_uid("uid-" + name);
  (*p.mutable_metadata()->mutable_labels())["app"] = "web";
  p.mutable_spec()->set_node_name("node-1");
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("nginx");
  auto* cp = c->add_ports();
  cp->set_container_port(8080);
  cp->set_protocol("TCP");
  p.mutable_status()->set_phase("Running");
  p.mutable_status()->set_pod_ip(ip);
  auto* cond = p.mutable_status()->add_conditions();
  cond->set_type("Ready");
  cond->set_status(ready ? "True" : "False");
  *cond->mutable_last_transition_time() = api::ToProtoTime(transition);
  return p;
}

TEST(TriggerTimeTracker, NewServiceIsDatedByItsCreation) {
  TriggerTimeTracker tracker;
  const Service svc = MakeService(kT0);
  const Pod a = MakePod("a", "10.244.0.2", true, kT0 + absl::Seconds(5));
  // Even with a pod that became ready later: the endpoints are new with the
  // Service.
  EXPECT_EQ(tracker.Compute(svc, {&a}), kT0);
}

TEST(TriggerTimeTracker, EarliestReadyTransitionSinceThePreviousSync) {
  TriggerTimeTracker tracker;
  const Service svc = MakeService(kT0);
  Pod a = MakePod("a", "10.244.0.2", false, kT0 + absl::Seconds(1));
  Pod b = MakePod("b", "10.244.0.3", false, kT0 + absl::Seconds(1));
  tracker.Compute(svc, {&a, &b});
  // Nothing moved: no time to stamp.
  EXPECT_EQ(tracker.Compute(svc, {&a, &b}), absl::InfinitePast());
  // b became ready at +7, a at +9: the earliest change is stamped.
  a = MakePod("a", "10.244.0.2", true, kT0 + absl::Seconds(9));
  b = MakePod("b", "10.244.0.3", true, kT0 + absl::Seconds(7));
  EXPECT_EQ(tracker.Compute(svc, {&a, &b}), kT0 + absl::Seconds(7));
  // A new pod that is ready already counts with its transition.
  const Pod c = MakePod("c", "10.244.0.4", true, kT0 + absl::Seconds(11));
  EXPECT_EQ(tracker.Compute(svc, {&a, &b, &c}), kT0 + absl::Seconds(11));
  // A pod that went away cannot be dated.
  EXPECT_EQ(tracker.Compute(svc, {&a, &c}), absl::InfinitePast());
  // Pods without a Ready condition are not dated either.
  Pod d = MakePod("d", "10.244.0.5", false, kT0);
  d.mutable_status()->clear_conditions();
  EXPECT_EQ(tracker.Compute(svc, {&a, &c, &d}), absl::InfinitePast());
}

TEST(TriggerTimeTracker, RecreatedServiceAndForgottenService) {
  TriggerTimeTracker tracker;
  const Pod a = MakePod("a", "10.244.0.2", true, kT0 + absl::Seconds(1));
  tracker.Compute(MakeService(kT0), {&a});
  // Deleted and created again between two syncs: its new creation counts.
  EXPECT_EQ(tracker.Compute(MakeService(kT0 + absl::Seconds(30)), {&a}), kT0 + absl::Seconds(30));
  tracker.DeleteService("default", "web");
  EXPECT_EQ(tracker.Compute(MakeService(kT0 + absl::Seconds(30)), {&a}), kT0 + absl::Seconds(30));
}

TEST(TriggerTimeAnnotation, FormattedAsRfc3339NanoAndRemovedWhenUndated) {
  google::protobuf::Map<std::string, std::string> annotations;
  SetTriggerTimeAnnotation(
      absl::FromCivil(absl::CivilSecond(2026, 12, 5, 9, 25, 33), absl::UTCTimeZone()),
      &annotations);
  EXPECT_EQ(annotations.at(kAnnotationLastChangeTriggerTime), "2026-12-05T09:25:33Z");
  SetTriggerTimeAnnotation(
      absl::FromCivil(absl::CivilSecond(2026, 12, 5, 9, 25, 33), absl::UTCTimeZone()) +
          absl::Milliseconds(120),
      &annotations);
  EXPECT_EQ(annotations.at(kAnnotationLastChangeTriggerTime), "2026-12-05T09:25:33.12Z");
  SetTriggerTimeAnnotation(absl::InfinitePast(), &annotations);
  EXPECT_FALSE(annotations.contains(kAnnotationLastChangeTriggerTime));
}

class Client : public EndpointsClient {
 public:
  absl::StatusOr<EndpointSlice> CreateSlice(const EndpointSlice& slice) override {
    absl::MutexLock l(&mu);
    EndpointSlice s = slice;
    s.mutable_metadata()->set_name(absl::StrCat(slice.metadata().generate_name(), "x"));
    s.mutable_metadata()->set_resource_version(absl::StrCat(++rv));
    slices.push_back(s);
    return s;
  }
  absl::StatusOr<EndpointSlice> UpdateSlice(const EndpointSlice& slice) override {
    absl::MutexLock l(&mu);
    EndpointSlice s = slice;
    s.mutable_metadata()->set_resource_version(absl::StrCat(++rv));
    slices.push_back(s);
    return s;
  }
  absl::Status DeleteSlice(absl::string_view, absl::string_view) override {
    return absl::OkStatus();
  }
  absl::StatusOr<Endpoints> CreateEndpoints(const Endpoints& e) override {
    absl::MutexLock l(&mu);
    endpoints.push_back(e);
    return e;
  }
  absl::StatusOr<Endpoints> UpdateEndpoints(const Endpoints& e) override {
    absl::MutexLock l(&mu);
    endpoints.push_back(e);
    return e;
  }
  absl::Status DeleteEndpoints(absl::string_view, absl::string_view) override {
    return absl::OkStatus();
  }
  absl::Mutex mu;
  int64_t rv = 100;
  std::vector<EndpointSlice> slices;
  std::vector<Endpoints> endpoints;
};

std::string Annotation(const google::protobuf::Map<std::string, std::string>& annotations) {
  auto it = annotations.find(kAnnotationLastChangeTriggerTime);
  return it == annotations.end() ? "<none>" : it->second;
}

TEST(TriggerTimeAnnotation, StampedOnSlicesAndEndpoints) {
  common::FakeClock clock;
  client::Indexer services(client::DefaultIndexersFor(Service::descriptor()));
  client::Indexer pods(client::DefaultIndexersFor(Pod::descriptor()));
  client::Indexer slices(client::DefaultIndexersFor(EndpointSlice::descriptor()));
  client::Indexer endpoints(client::DefaultIndexersFor(Endpoints::descriptor()));
  Client fake;
  EndpointSliceController controller(client::Lister<Service>(&services), client::Lister<Pod>(&pods),
                                     client::Lister<EndpointSlice>(&slices), &fake, nullptr,
                                     {.clock = &clock});
  EndpointsController legacy(client::Lister<Service>(&services), client::Lister<Pod>(&pods),
                             client::Lister<Endpoints>(&endpoints), &fake, nullptr,
                             {.clock = &clock});
  services.Upsert(std::make_shared<Service>(MakeService(kT0)));
  pods.Upsert(std::make_shared<Pod>(MakePod("a", "10.244.0.2", false, kT0)));
  ASSERT_TRUE(controller.Sync("default/web").ok());
  ASSERT_TRUE(legacy.Sync("default/web").ok());
  ASSERT_EQ(fake.slices.size(), 1u);
  ASSERT_EQ(fake.endpoints.size(), 1u);
  const std::string created = api::FormatRfc3339(kT0);
  EXPECT_EQ(Annotation(fake.slices[0].metadata().annotations()), created);
  EXPECT_EQ(Annotation(fake.endpoints[0].metadata().annotations()), created);
  slices.Upsert(std::make_shared<EndpointSlice>(fake.slices[0]));
  endpoints.Upsert(std::make_shared<Endpoints>(fake.endpoints[0]));

  // The pod becomes ready at +4: the update carries +4.
  pods.Upsert(std::make_shared<Pod>(MakePod("a", "10.244.0.2", true, kT0 + absl::Seconds(4))));
  ASSERT_TRUE(controller.Sync("default/web").ok());
  ASSERT_TRUE(legacy.Sync("default/web").ok());
  ASSERT_EQ(fake.slices.size(), 2u);
  ASSERT_EQ(fake.endpoints.size(), 2u);
  const std::string ready = api::FormatRfc3339(kT0 + absl::Seconds(4));
  EXPECT_EQ(Annotation(fake.slices[1].metadata().annotations()), ready);
  EXPECT_EQ(Annotation(fake.endpoints[1].metadata().annotations()), ready);
  slices.Upsert(std::make_shared<EndpointSlice>(fake.slices[1]));
  endpoints.Upsert(std::make_shared<Endpoints>(fake.endpoints[1]));

  // The pod goes away: a write without a datable change drops the
  // annotation.
  pods.Delete("default/a");
  ASSERT_TRUE(controller.Sync("default/web").ok());
  ASSERT_TRUE(legacy.Sync("default/web").ok());
  ASSERT_EQ(fake.slices.size(), 3u);
  ASSERT_EQ(fake.endpoints.size(), 3u);
  EXPECT_EQ(Annotation(fake.slices[2].metadata().annotations()), "<none>");
  EXPECT_EQ(Annotation(fake.endpoints[2].metadata().annotations()), "<none>");
}

}  // namespace trigger_time

}  // namespace
}  // namespace minik8s::controllers
