// Unit tests (no network) of the apiserver's pure parts: strategies, pod
// admission, merge patch, continue tokens, identity, and the watch cache with a fake event
// source.
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "api/errors.h"
#include "api/scheme.h"
#include "apiserver/continue_token.h"
#include "apiserver/filter.h"
#include "apiserver/identity.h"
#include "apiserver/merge_patch.h"
#include "apiserver/object_meta.h"
#include "apiserver/registry/admission.h"
#include "apiserver/registry/registry.h"
#include "apiserver/v1/apiserver.pb.h"
#include "apiserver/watch_cache.h"
#include "apiserver/watch_encoding.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver {
namespace {

using core::v1::Pod;

const api::KindInfo& PodKind() { return *api::Scheme::Default().FindByResource("pods"); }

Pod MakePod(const std::string& ns, const std::string& name, const std::string& node, int64_t rv,
            std::map<std::string, std::string> labels = {}) {
  Pod pod;
  pod.mutable_metadata()->set_namespace_(ns);
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->set_resource_version(std::to_string(rv));
  for (auto& [k, v] : labels) (*pod.mutable_metadata()->mutable_labels())[k] = v;
  pod.mutable_spec()->set_node_name(node);
  return pod;
}

CachedObjectPtr Cached(const Pod& pod) {
  return MakeCachedObject(PodKind(), std::make_unique<Pod>(pod));
}

// ---------------------------------------------------------------- strategies

TEST(Strategy, DeploymentGenerationBumpsOnlyOnSpecChange) {
  Registry registry(api::Scheme::Default());
  const Strategy* s = *registry.Find("deployments");
  apps::v1::Deployment d;
  d.mutable_metadata()->set_name("web");
  d.mutable_spec()->set_replicas(3);
  d.mutable_status()->set_replicas(7);
  s->PrepareForCreate(&d);
  EXPECT_EQ(d.metadata().generation(), 1);
  EXPECT_FALSE(d.has_status()) << "status is cleared on create";

  apps::v1::Deployment old = d;
  old.mutable_status()->set_replicas(2);
  apps::v1::Deployment same = old;
  same.mutable_metadata()->mutable_labels()->insert({"a", "b"});
  same.mutable_status()->set_replicas(99);  // ignored on the main resource
  s->PrepareForUpdate(&same, old);
  EXPECT_EQ(same.metadata().generation(), 1);
  EXPECT_EQ(same.status().replicas(), 2);
  EXPECT_EQ(same.metadata().labels().at("a"), "b");

  apps::v1::Deployment scaled = old;
  scaled.mutable_spec()->set_replicas(5);
  s->PrepareForUpdate(&scaled, old);
  EXPECT_EQ(scaled.metadata().generation(), 2);
}

TEST(Strategy, StatusUpdateKeepsSpecAndMetadata) {
  Registry registry(api::Scheme::Default());
  const Strategy* s = *registry.Find("deployments");
  apps::v1::Deployment old;
  old.mutable_metadata()->set_name("web");
  old.mutable_metadata()->set_generation(4);
  old.mutable_spec()->set_replicas(3);
  apps::v1::Deployment update = old;
  update.mutable_spec()->set_replicas(10);
  update.mutable_metadata()->mutable_labels()->insert({"x", "y"});
  update.mutable_status()->set_ready_replicas(3);
  s->PrepareForStatusUpdate(&update, old);
  EXPECT_EQ(update.spec().replicas(), 3);
  EXPECT_TRUE(update.metadata().labels().empty());
  EXPECT_EQ(update.metadata().generation(), 4);
  EXPECT_EQ(update.status().ready_replicas(), 3);
}

TEST(Strategy, PodCreateSetsPendingAndGracePeriods) {
  Registry registry(api::Scheme::Default());
  const Strategy* s = *registry.Find("po");
  Pod pod = MakePod("default", "p", "", 0);
  pod.mutable_status()->set_phase("Running");
  s->PrepareForCreate(&pod);
  EXPECT_EQ(pod.status().phase(), "Pending");
  EXPECT_EQ(pod.status().qos_class(), "BestEffort");
  EXPECT_EQ(s->GracePeriod(pod, -1), 0) << "an unscheduled pod is deleted at once";
  pod.mutable_spec()->set_node_name("n1");
  EXPECT_EQ(s->GracePeriod(pod, -1), 30);
  EXPECT_EQ(s->GracePeriod(pod, 5), 5);
  pod.mutable_status()->set_phase("Succeeded");
  EXPECT_EQ(s->GracePeriod(pod, -1), 0);
}

TEST(Strategy, DeploymentScaleCarriesSelectorString) {
  Registry registry(api::Scheme::Default());
  const Strategy* s = *registry.Find("deployments.apps");
  apps::v1::Deployment d;
  d.mutable_metadata()->set_name("web");
  d.mutable_spec()->set_replicas(2);
  (*d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "web";
  auto scale = s->ToScale(d);
  ASSERT_TRUE(scale.ok()) << scale.status();
  EXPECT_EQ(scale->spec().replicas(), 2);
  EXPECT_EQ(scale->status().selector(), "app=web");
}

TEST(Registry, UnknownResourceIsNotFound) {
  Registry registry(api::Scheme::Default());
  auto s = registry.Find("widgets");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
}

// ---------------------------------------------------------------- admission

core::v1::Toleration MakeToleration(const std::string& key, const std::string& effect,
                                    std::optional<int64_t> seconds) {
  core::v1::Toleration t;
  t.set_key(key);
  t.set_operator_("Exists");
  t.set_effect(effect);
  if (seconds.has_value()) t.set_toleration_seconds(*seconds);
  return t;
}

// "key:effect op=Exists for Ns" per toleration, as mkctl describe prints them.
std::vector<std::string> Tolerations(const Pod& pod) {
  std::vector<std::string> out;
  for (const auto& t : pod.spec().tolerations()) {
    std::string line = t.key() + ":" + t.effect() + " op=" + t.operator_();
    if (t.has_toleration_seconds()) line += " for " + std::to_string(t.toleration_seconds()) + "s";
    out.push_back(line);
  }
  return out;
}

TEST(Admission, PodCreateGetsServiceAccountTolerationsAndPriority) {
  Pod pod = MakePod("default", "p", "", 0);
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &pod, AdmissionOptions{}).ok());
  EXPECT_EQ(pod.spec().service_account_name(), "default");
  EXPECT_EQ(Tolerations(pod), (std::vector<std::string>{
                                  "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
                                  "node.kubernetes.io/unreachable:NoExecute op=Exists for 300s"}));
  ASSERT_TRUE(pod.spec().has_priority());
  EXPECT_EQ(pod.spec().priority(), 0);
  EXPECT_EQ(pod.spec().priority_class_name(), "");
  EXPECT_EQ(pod.spec().preemption_policy(), "PreemptLowerPriority");

  // Admitting the result again changes nothing.
  Pod again = pod;
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &again, AdmissionOptions{}).ok());
  EXPECT_EQ(again.SerializeAsString(), pod.SerializeAsString());
}

TEST(Admission, TolerationSecondsComeFromTheOptionsAndOwnTolerationsStay) {
  AdmissionOptions options{.default_not_ready_toleration_seconds = 2,
                           .default_unreachable_toleration_seconds = 9};
  Pod pod = MakePod("default", "p", "", 0);
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &pod, options).ok());
  EXPECT_EQ(Tolerations(pod), (std::vector<std::string>{
                                  "node.kubernetes.io/not-ready:NoExecute op=Exists for 2s",
                                  "node.kubernetes.io/unreachable:NoExecute op=Exists for 9s"}));

  // The pod's own unreachable toleration (without seconds: forever) is kept
  // and not doubled; a NoSchedule one does not count.
  Pod own = MakePod("default", "own", "", 0);
  *own.mutable_spec()->add_tolerations() =
      MakeToleration("node.kubernetes.io/unreachable", "NoExecute", std::nullopt);
  *own.mutable_spec()->add_tolerations() =
      MakeToleration("node.kubernetes.io/not-ready", "NoSchedule", std::nullopt);
  own.mutable_spec()->set_service_account_name("builder");
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &own, options).ok());
  EXPECT_EQ(Tolerations(own),
            (std::vector<std::string>{"node.kubernetes.io/unreachable:NoExecute op=Exists",
                                      "node.kubernetes.io/not-ready:NoSchedule op=Exists",
                                      "node.kubernetes.io/not-ready:NoExecute op=Exists for 2s"}));
  EXPECT_EQ(own.spec().service_account_name(), "builder");
}

TEST(Admission, BuiltInPriorityClassesSetTheirPriority) {
  for (const auto& [name, want] : std::vector<std::pair<std::string, int32_t>>{
           {"system-cluster-critical", 2000000000}, {"system-node-critical", 2000001000}}) {
    Pod pod = MakePod("kube-system", "p", "", 0);
    pod.mutable_spec()->set_priority_class_name(name);
    ASSERT_TRUE(AdmitPodCreate(PodKind(), &pod, AdmissionOptions{}).ok()) << name;
    EXPECT_EQ(pod.spec().priority(), want) << name;
    EXPECT_EQ(pod.spec().priority_class_name(), name);
    EXPECT_EQ(pod.spec().preemption_policy(), "PreemptLowerPriority");
  }
  // The priority the class gives may be stated.
  Pod stated = MakePod("kube-system", "p", "", 0);
  stated.mutable_spec()->set_priority_class_name("system-node-critical");
  stated.mutable_spec()->set_priority(2000001000);
  EXPECT_TRUE(AdmitPodCreate(PodKind(), &stated, AdmissionOptions{}).ok());
}

TEST(Admission, UnknownClassOrOwnPriorityIsForbidden) {
  Pod pod = MakePod("default", "x", "", 0);
  pod.mutable_spec()->set_priority_class_name("nope");
  absl::Status s = AdmitPodCreate(PodKind(), &pod, AdmissionOptions{});
  EXPECT_EQ(s.message(), "pods \"x\" is forbidden: no PriorityClass with name nope was found");
  meta::v1::Status api_status = api::ToApiStatus(s);
  EXPECT_EQ(api_status.reason(), "Forbidden");
  EXPECT_EQ(api_status.code(), 403);
  EXPECT_EQ(api_status.details().name(), "x");
  EXPECT_EQ(api_status.details().kind(), "pods");

  Pod own = MakePod("default", "y", "", 0);
  own.mutable_spec()->set_priority(10);
  s = AdmitPodCreate(PodKind(), &own, AdmissionOptions{});
  EXPECT_EQ(s.message(),
            "pods \"y\" is forbidden: the integer value of priority (10) must not be provided in "
            "pod spec; priority admission controller computed 0 from the given PriorityClass name");
  EXPECT_EQ(api::Reason(s), "Forbidden");
  // Stating the computed 0 is fine.
  Pod zero = MakePod("default", "z", "", 0);
  zero.mutable_spec()->set_priority(0);
  EXPECT_TRUE(AdmitPodCreate(PodKind(), &zero, AdmissionOptions{}).ok());

  Pod never = MakePod("default", "n", "", 0);
  never.mutable_spec()->set_preemption_policy("Never");
  s = AdmitPodCreate(PodKind(), &never, AdmissionOptions{});
  EXPECT_EQ(s.message(),
            "pods \"n\" is forbidden: the string value of PreemptionPolicy (Never) must not be "
            "provided in pod spec; priority admission controller computed PreemptLowerPriority "
            "from the given PriorityClass name");
}

TEST(Admission, PodUpdateKeepsPriorityAndReaddsTolerations) {
  Pod old = MakePod("default", "p", "", 0);
  ASSERT_TRUE(AdmitPodCreate(PodKind(), &old, AdmissionOptions{}).ok());
  // An update that leaves out priority, preemptionPolicy and tolerations
  // (a manifest replaced as written).
  Pod update = old;
  update.mutable_spec()->clear_priority();
  update.mutable_spec()->clear_preemption_policy();
  update.mutable_spec()->clear_tolerations();
  AdmitPodUpdate(&update, old, AdmissionOptions{});
  EXPECT_EQ(update.SerializeAsString(), old.SerializeAsString());

  // A changed tolerationSeconds of a default toleration is the user's.
  update = old;
  update.mutable_spec()->mutable_tolerations(0)->set_toleration_seconds(5);
  AdmitPodUpdate(&update, old, AdmissionOptions{});
  EXPECT_EQ(
      Tolerations(update),
      (std::vector<std::string>{"node.kubernetes.io/not-ready:NoExecute op=Exists for 5s",
                                "node.kubernetes.io/unreachable:NoExecute op=Exists for 300s"}));
  // The service account is not defaulted on update (validation refuses the
  // change).
  update.mutable_spec()->clear_service_account_name();
  AdmitPodUpdate(&update, old, AdmissionOptions{});
  EXPECT_EQ(update.spec().service_account_name(), "");
}

TEST(Strategy, OnlyPodsAreAdmitted) {
  Registry registry(api::Scheme::Default());
  Pod pod = MakePod("default", "p", "", 0);
  ASSERT_TRUE((*registry.Find("pods"))->Admit(&pod, nullptr, AdmissionOptions{}).ok());
  EXPECT_EQ(pod.spec().service_account_name(), "default");
  EXPECT_EQ(pod.spec().tolerations_size(), 2);
  Pod unknown_class = MakePod("default", "q", "", 0);
  unknown_class.mutable_spec()->set_priority_class_name("nope");
  EXPECT_EQ(
      api::Reason((*registry.Find("pods"))->Admit(&unknown_class, nullptr, AdmissionOptions{})),
      "Forbidden");
  apps::v1::Deployment d;
  d.mutable_metadata()->set_name("web");
  const std::string before = d.SerializeAsString();
  ASSERT_TRUE((*registry.Find("deployments.apps"))->Admit(&d, nullptr, AdmissionOptions{}).ok());
  EXPECT_EQ(d.SerializeAsString(), before);
}

TEST(Identity, GenerateNameUsesKubernetesAlphabet) {
  std::string name = GenerateName("web-");
  ASSERT_EQ(name.size(), 9u);
  EXPECT_EQ(name.substr(0, 4), "web-");
  for (char c : name.substr(4)) {
    EXPECT_NE(std::string("bcdfghjklmnpqrstvwxz2456789").find(c), std::string::npos) << c;
  }
  EXPECT_EQ(GenerateName(std::string(100, 'a')).size(), 63u);
  std::string uid = NewUuidV4();
  EXPECT_EQ(uid.size(), 36u);
  EXPECT_EQ(uid[14], '4');
  EXPECT_NE(NewUuidV4(), uid);
}

// ---------------------------------------------------------------- errors

TEST(Errors, ConflictCarriesKubernetesMessageAndStatus) {
  const api::KindInfo* deployments = api::Scheme::Default().FindByResource("deployments");
  absl::Status status = api::NewStaleConflict(*deployments, "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(status.message(),
            "Operation cannot be fulfilled on deployments.apps \"x\": the object has been "
            "modified; please apply your changes to the latest version and try again");
  meta::v1::Status api_status = api::ToApiStatus(status);
  EXPECT_EQ(api_status.reason(), "Conflict");
  EXPECT_EQ(api_status.code(), 409);
  EXPECT_EQ(api_status.details().name(), "x");
}

// ---------------------------------------------------------------- merge patch

TEST(MergePatch, MergesDeletesAndReplaces) {
  apps::v1::Deployment d;
  d.set_api_version("apps/v1");
  d.set_kind("Deployment");
  d.mutable_metadata()->set_name("web");
  (*d.mutable_metadata()->mutable_labels())["a"] = "1";
  (*d.mutable_metadata()->mutable_labels())["b"] = "2";
  d.mutable_spec()->set_replicas(1);
  auto patched =
      ApplyMergePatch(d, R"({"metadata":{"labels":{"a":null,"c":"3"}},"spec":{"replicas":4}})");
  ASSERT_TRUE(patched.ok()) << patched.status();
  const auto& out = static_cast<const apps::v1::Deployment&>(**patched);
  EXPECT_EQ(out.spec().replicas(), 4);
  EXPECT_EQ(out.metadata().labels().count("a"), 0u);
  EXPECT_EQ(out.metadata().labels().at("b"), "2");
  EXPECT_EQ(out.metadata().labels().at("c"), "3");
  EXPECT_EQ(out.metadata().name(), "web");
}

TEST(MergePatch, RejectsBadPatches) {
  apps::v1::Deployment d;
  d.mutable_metadata()->set_name("web");
  EXPECT_EQ(ApplyMergePatch(d, "[1,2]").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyMergePatch(d, "{not json").status().code(), absl::StatusCode::kInvalidArgument);
  auto wrong_type = ApplyMergePatch(d, R"({"spec":{"replicas":"three"}})");
  EXPECT_EQ(wrong_type.status().code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- continue

TEST(ContinueToken, RoundTripsAndRejectsGarbage) {
  std::string token = EncodeContinueToken({42, "default/web-\"1"});
  auto decoded = DecodeContinueToken(token);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->revision, 42);
  EXPECT_EQ(decoded->last_key, "default/web-\"1");
  EXPECT_FALSE(DecodeContinueToken("!!!").ok());
  EXPECT_FALSE(DecodeContinueToken(EncodeContinueToken({0, "x"})).ok());
  EXPECT_EQ(DecodeContinueToken("e30").status().code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- watch cache

struct Collector {
  std::vector<Delivery> events;
  absl::Status closed;
  bool is_closed = false;
  void Drain(Watcher& w) {
    Delivery d;
    absl::Status error;
    while (true) {
      auto next = w.Pop(&d, &error);
      if (next == Watcher::Next::kEvent) {
        events.push_back(d);
      } else {
        if (next == Watcher::Next::kClosed) {
          is_closed = true;
          closed = error;
        }
        return;
      }
    }
  }
};

TEST(WatchCache, InitialEventsThenFilteredChanges) {
  WatchCache cache(&PodKind(), {.window_size = 100, .watcher_buffer = 100});
  cache.Replace({Cached(MakePod("default", "a", "n1", 5, {{"app", "web"}})),
                 Cached(MakePod("default", "b", "n2", 6, {{"app", "db"}}))},
                10);
  auto filter = Filter::Make(PodKind(), "default", "app=web", "");
  ASSERT_TRUE(filter.ok());
  auto w = cache.Watch({.filter = *filter, .initial_events = true}, [] {});
  ASSERT_TRUE(w.ok()) << w.status();
  Collector c;
  c.Drain(**w);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].type, EventType::kAdded);
  cache.Apply(EventType::kModified, "default/b", Cached(MakePod("default", "b", "n2", 11)), 11);
  cache.Apply(EventType::kModified, "default/a",
              Cached(MakePod("default", "a", "n1", 12, {{"app", "other"}})), 12);
  c.Drain(**w);
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[1].type, EventType::kDeleted) << "stopped matching the selector";
  EXPECT_EQ(c.events[1].revision, 12);
  // The DELETED event carries the last state that matched (app=web), at the
  // revision of the change, as Kubernetes does.
  const auto& gone = static_cast<const core::v1::Pod&>(*c.events[1].object->object);
  EXPECT_EQ(gone.metadata().labels().at("app"), "web");
  EXPECT_EQ(gone.metadata().resource_version(), "12");
  core::v1::Pod wire;
  ASSERT_TRUE(wire.ParseFromString(c.events[1].object->serialized));
  EXPECT_EQ(wire.metadata().labels().at("app"), "web");
  EXPECT_EQ(wire.metadata().resource_version(), "12");

  // A watcher resuming from before the change replays the same DELETED event.
  auto resumed =
      cache.Watch({.filter = *filter, .resource_version = 10, .initial_events = false}, [] {});
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  Collector r;
  r.Drain(**resumed);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].type, EventType::kDeleted);
  EXPECT_EQ(
      static_cast<const core::v1::Pod&>(*r.events[0].object->object).metadata().labels().at("app"),
      "web");
}

TEST(WatchCache, ResumeWithinWindowAndTooOld) {
  WatchCache cache(&PodKind(), {.window_size = 3, .watcher_buffer = 100});
  cache.Replace({}, 10);
  for (int i = 0; i < 5; ++i) {
    cache.Apply(EventType::kAdded, "default/p" + std::to_string(i),
                Cached(MakePod("default", "p" + std::to_string(i), "", 11 + i)), 11 + i);
  }
  // Window holds revisions 13, 14, 15; resuming after 12 works, after 11 not.
  EXPECT_EQ(cache.window_start(), 12);
  auto ok = cache.Watch({.resource_version = 12, .initial_events = false}, [] {});
  ASSERT_TRUE(ok.ok()) << ok.status();
  Collector c;
  c.Drain(**ok);
  ASSERT_EQ(c.events.size(), 3u);
  EXPECT_EQ(c.events[0].revision, 13);
  auto old = cache.Watch({.resource_version = 11, .initial_events = false}, [] {});
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(old.status().message(), "too old resource version: 11 (12)");
}

TEST(WatchCache, NodeIndexDeliversOnlyToThatNode) {
  WatchCache cache(&PodKind(), {.window_size = 100, .watcher_buffer = 100});
  cache.Replace({}, 1);
  auto f1 = Filter::Make(PodKind(), "", "", "spec.nodeName=n1");
  auto f2 = Filter::Make(PodKind(), "", "", "spec.nodeName=n2");
  ASSERT_TRUE(f1.ok() && f2.ok());
  EXPECT_EQ(f1->index_value(), "n1");
  auto w1 = cache.Watch({.filter = *f1, .resource_version = 1, .initial_events = false}, [] {});
  auto w2 = cache.Watch({.filter = *f2, .resource_version = 1, .initial_events = false}, [] {});
  ASSERT_TRUE(w1.ok() && w2.ok());
  cache.Apply(EventType::kAdded, "default/p", Cached(MakePod("default", "p", "n1", 2)), 2);
  Collector c1, c2;
  c1.Drain(**w1);
  c2.Drain(**w2);
  EXPECT_EQ(c1.events.size(), 1u);
  EXPECT_EQ(c2.events.size(), 0u);
}

TEST(WatchCache, SlowWatcherIsClosedWithoutBlocking) {
  WatchCache cache(&PodKind(), {.window_size = 100, .watcher_buffer = 2});
  cache.Replace({}, 1);
  std::atomic<int> notified{0};
  auto w = cache.Watch({.resource_version = 1, .initial_events = false}, [&] { ++notified; });
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 5; ++i) {
    cache.Apply(EventType::kAdded, "default/p" + std::to_string(i),
                Cached(MakePod("default", "p" + std::to_string(i), "", 2 + i)), 2 + i);
  }
  Collector c;
  c.Drain(**w);
  EXPECT_TRUE(c.is_closed);
  EXPECT_EQ(c.closed.code(), absl::StatusCode::kOutOfRange);
}

TEST(WatchCache, BookmarksAndNotify) {
  WatchCache cache(&PodKind(), {.window_size = 100, .watcher_buffer = 100});
  cache.Replace({}, 1);
  auto f = Filter::Make(PodKind(), "", "", "spec.nodeName=n9");
  std::atomic<int> notified{0};
  auto w = cache.Watch(
      {.filter = *f, .resource_version = 1, .initial_events = false, .allow_bookmarks = true},
      [&] { ++notified; });
  ASSERT_TRUE(w.ok());
  Collector c;
  c.Drain(**w);  // arms the notification
  cache.Apply(EventType::kAdded, "default/p", Cached(MakePod("default", "p", "n1", 7)), 7);
  cache.SendBookmarks();
  EXPECT_EQ(notified.load(), 1);
  c.Drain(**w);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].type, EventType::kBookmark);
  EXPECT_EQ(c.events[0].revision, 7);
}

TEST(WatchCache, ListPagesInKeyOrder) {
  WatchCache cache(&PodKind(), {});
  cache.Replace({Cached(MakePod("b", "x", "", 2)), Cached(MakePod("a", "y", "", 3)),
                 Cached(MakePod("a", "x", "", 4))},
                5);
  Filter all;
  auto page = cache.List(all, "", 2);
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_TRUE(page.more);
  EXPECT_EQ(page.last_key, "a/y");
  auto rest = cache.List(all, page.last_key + std::string(1, '\0'), 2);
  ASSERT_EQ(rest.items.size(), 1u);
  EXPECT_FALSE(rest.more);
  auto ns_a = Filter::Make(PodKind(), "a", "", "");
  EXPECT_EQ(cache.List(*ns_a, "", 0).items.size(), 2u);
}

TEST(WatchCache, WaitUntilFreshRequestsProgressAndWakesOnIt) {
  WatchCache cache(&PodKind(),
                   {.freshness_timeout = absl::Seconds(10), .progress_retry = absl::Seconds(10)});
  cache.Replace({}, 5);
  std::atomic<int> requests{0};
  std::thread source;
  // The event source answers a progress request with the store's revision.
  cache.SetProgressRequester([&] {
    if (requests++ == 0) source = std::thread([&cache] { cache.Progress(9); });
  });
  const absl::Time start = absl::Now();
  ASSERT_TRUE(cache.WaitUntilFresh(9).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "woken by the progress, not the retry";
  EXPECT_EQ(requests.load(), 1);
  EXPECT_EQ(cache.revision(), 9);
  // Fresh already: no request.
  ASSERT_TRUE(cache.WaitUntilFresh(8).ok());
  EXPECT_EQ(requests.load(), 1);
  cache.SetProgressRequester(nullptr);
  source.join();
}

TEST(WatchCache, WaitUntilFreshRetriesAndTimesOut) {
  WatchCache cache(&PodKind(), {.freshness_timeout = absl::Milliseconds(300),
                                .progress_retry = absl::Milliseconds(50)});
  cache.Replace({}, 5);
  std::atomic<int> requests{0};
  cache.SetProgressRequester([&] { ++requests; });  // never answered
  absl::Status status = cache.WaitUntilFresh(7);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(status.message(), "Too large resource version: 7, current: 5");
  EXPECT_GE(requests.load(), 3) << "asked again while waiting";
  cache.SetProgressRequester(nullptr);
}

TEST(WatchCache, ProgressServesWatchFromNewerRevision) {
  WatchCache cache(&PodKind(), {.window_size = 100, .watcher_buffer = 100});
  cache.Replace({}, 3);
  cache.Progress(8);  // other resources were written at 4..8
  EXPECT_EQ(cache.List(Filter(), "", 0).revision, 8);
  auto w = cache.Watch({.resource_version = 8, .initial_events = false}, [] {});
  ASSERT_TRUE(w.ok()) << w.status();
  cache.Apply(EventType::kAdded, "default/p", Cached(MakePod("default", "p", "", 9)), 9);
  Collector c;
  c.Drain(**w);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].revision, 9);
}

TEST(WatchCache, EventArrivingAfterANewerProgressIsNotLost) {
  WatchCache cache(&PodKind(), {.window_size = 100, .watcher_buffer = 100});
  cache.Replace({}, 3);
  auto w = cache.Watch({.resource_version = 3, .initial_events = false}, [] {});
  ASSERT_TRUE(w.ok());
  cache.Progress(8);
  cache.Apply(EventType::kAdded, "default/p", Cached(MakePod("default", "p", "", 6)), 6);
  EXPECT_NE(cache.Get("default/p"), nullptr);
  EXPECT_EQ(cache.revision(), 8);
  // A resumed store watch repeats it: applied once.
  cache.Apply(EventType::kAdded, "default/p", Cached(MakePod("default", "p", "", 6)), 6);
  Collector c;
  c.Drain(**w);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].type, EventType::kAdded);
}

// A progress revision ahead of an event still on its way (a real etcd's
// progress answer can overtake events): a watch started from that revision
// must not see the late event, which is at or before its start.
TEST(WatchCache, LateEventAtOrBeforeAWatchStartIsNotDelivered) {
  WatchCache cache(&PodKind(), {.window_size = 100, .watcher_buffer = 100});
  cache.Replace({}, 3);
  cache.Progress(6);
  auto from6 = cache.Watch({.resource_version = 6, .initial_events = false}, [] {});
  ASSERT_TRUE(from6.ok()) << from6.status();
  auto initial = cache.Watch({.initial_events = true}, [] {});
  ASSERT_TRUE(initial.ok()) << initial.status();
  cache.Apply(EventType::kAdded, "default/p", Cached(MakePod("default", "p", "", 6)), 6);
  cache.Apply(EventType::kModified, "default/p", Cached(MakePod("default", "p", "n1", 7)), 7);
  Collector c;
  c.Drain(**from6);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].type, EventType::kModified);
  EXPECT_EQ(c.events[0].revision, 7);
  // The initial-events watcher saw no pod in its initial state (the cache
  // had not applied it), so it gets both.
  Collector i;
  i.Drain(**initial);
  ASSERT_EQ(i.events.size(), 2u);
  EXPECT_EQ(i.events[0].type, EventType::kAdded);
  EXPECT_EQ(i.events[1].revision, 7);
}

TEST(WatchCache, ChangeListenersSeeChangesAndRelistsUntilRemoved) {
  WatchCache cache(&PodKind(), {.window_size = 100, .watcher_buffer = 100});
  cache.Replace({}, 1);
  std::vector<std::pair<EventType, std::string>> seen;
  const int id = cache.AddChangeListener([&](EventType type, const CachedObject* object) {
    seen.emplace_back(
        type, object == nullptr ? "<relist>" : object->ns + "/" + Meta(*object->object).name());
  });
  cache.Apply(EventType::kAdded, "default/a", Cached(MakePod("default", "a", "", 2)), 2);
  cache.Apply(EventType::kDeleted, "default/a", Cached(MakePod("default", "a", "", 3)), 3);
  cache.Replace({}, 10);
  cache.RemoveChangeListener(id);
  cache.Apply(EventType::kAdded, "default/b", Cached(MakePod("default", "b", "", 11)), 11);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], std::make_pair(EventType::kAdded, std::string("default/a")));
  EXPECT_EQ(seen[1], std::make_pair(EventType::kDeleted, std::string("default/a")));
  EXPECT_EQ(seen[2].second, "<relist>");
}

// ---------------------------------------------------------------- watch encoding

TEST(WatchCache, PopBatchTakesQueuedEventsUpToItsLimits) {
  WatchCache cache(&PodKind(), {.window_size = 100, .watcher_buffer = 100});
  cache.Replace({}, 1);
  auto w = cache.Watch({.resource_version = 1, .initial_events = false}, [] {});
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 5; ++i) {
    cache.Apply(EventType::kAdded, "default/p" + std::to_string(i),
                Cached(MakePod("default", "p" + std::to_string(i), "", 2 + i)), 2 + i);
  }
  std::vector<Delivery> batch;
  absl::Status error;
  bool more = false;
  ASSERT_EQ((*w)->PopBatch(3, 1 << 20, &batch, &error, &more), Watcher::Next::kEvent);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_TRUE(more);
  EXPECT_EQ(batch[0].revision, 2);
  EXPECT_EQ(batch[2].revision, 4);
  // A byte budget smaller than one object still takes one event.
  batch.clear();
  ASSERT_EQ((*w)->PopBatch(10, 1, &batch, &error, &more), Watcher::Next::kEvent);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].revision, 5);
  EXPECT_TRUE(more);
  batch.clear();
  ASSERT_EQ((*w)->PopBatch(10, 1 << 20, &batch, &error, &more), Watcher::Next::kEvent);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_FALSE(more);
  batch.clear();
  EXPECT_EQ((*w)->PopBatch(10, 1 << 20, &batch, &error, &more), Watcher::Next::kEmpty);
  EXPECT_TRUE(batch.empty());
}

TEST(WatchEncoding, FramedEventsConcatenateIntoABatchAndUnframeIntoOneEvent) {
  const Pod a = MakePod("default", "a", "", 7);
  const Pod b = MakePod("default", "b", "n1", 9);
  const std::string fa = EncodeFramedWatchEvent(EventType::kAdded, 7, a.SerializeAsString());
  const std::string fb = EncodeFramedWatchEvent(EventType::kDeleted, 9, b.SerializeAsString());

  v1::WatchEvent batch;
  ASSERT_TRUE(batch.ParseFromString(fa + fb));
  ASSERT_EQ(batch.events_size(), 2);
  EXPECT_TRUE(batch.type().empty());
  EXPECT_EQ(batch.events(0).type(), "ADDED");
  EXPECT_EQ(batch.events(0).resource_version(), "7");
  EXPECT_EQ(batch.events(1).type(), "DELETED");
  EXPECT_EQ(batch.events(1).resource_version(), "9");
  Pod seen;
  ASSERT_TRUE(seen.ParseFromString(batch.events(1).object()));
  EXPECT_EQ(seen.metadata().name(), "b");

  v1::WatchEvent single;
  ASSERT_TRUE(single.ParseFromString(fa.substr(FrameHeaderSize(fa))));
  EXPECT_EQ(single.events_size(), 0);
  EXPECT_EQ(single.type(), "ADDED");
  EXPECT_EQ(single.resource_version(), "7");
  ASSERT_TRUE(seen.ParseFromString(single.object()));
  EXPECT_EQ(seen.metadata().name(), "a");

  // A length over 127 takes a two-byte varint.
  Pod big = a;
  (*big.mutable_metadata()->mutable_annotations())["note"] = std::string(300, 'x');
  const std::string fbig = EncodeFramedWatchEvent(EventType::kModified, 7, big.SerializeAsString());
  EXPECT_EQ(FrameHeaderSize(fbig), 3u);
  ASSERT_TRUE(single.ParseFromString(fbig.substr(FrameHeaderSize(fbig))));
  EXPECT_EQ(single.type(), "MODIFIED");
}

TEST(WatchEncoding, DeliveriesShareOneEncodingPerObjectAndType) {
  CachedObjectPtr object = Cached(MakePod("default", "a", "", 7));
  std::string buffer;
  absl::string_view first =
      FramedDelivery(&PodKind(), Delivery{EventType::kAdded, object, 7}, &buffer);
  absl::string_view again =
      FramedDelivery(&PodKind(), Delivery{EventType::kAdded, object, 7}, &buffer);
  EXPECT_EQ(first.data(), again.data()) << "encoded once, then shared";
  absl::string_view modified =
      FramedDelivery(&PodKind(), Delivery{EventType::kModified, object, 7}, &buffer);
  EXPECT_NE(first.data(), modified.data());
  v1::WatchEvent event;
  ASSERT_TRUE(event.ParseFromString(std::string(modified.substr(FrameHeaderSize(modified)))));
  EXPECT_EQ(event.type(), "MODIFIED");
  EXPECT_EQ(event.object(), object->serialized);

  // A bookmark: an empty Pod with only the resourceVersion.
  absl::string_view bookmark =
      FramedDelivery(&PodKind(), Delivery{EventType::kBookmark, nullptr, 42}, &buffer);
  ASSERT_TRUE(event.ParseFromString(std::string(bookmark.substr(FrameHeaderSize(bookmark)))));
  EXPECT_EQ(event.type(), "BOOKMARK");
  EXPECT_EQ(event.resource_version(), "42");
  Pod seen;
  ASSERT_TRUE(seen.ParseFromString(event.object()));
  EXPECT_EQ(seen.metadata().resource_version(), "42");
  EXPECT_TRUE(seen.metadata().name().empty());
}

}  // namespace
}  // namespace minik8s::apiserver
