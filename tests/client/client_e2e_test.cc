// End-to-end: the client library against the real minik8s-store and
// minik8s-apiserver binaries on free loopback ports. Skips (with a message)
// when the binaries are not in this build.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "client/clientset.h"
#include "client/informer.h"
#include "client/leader_election.h"
#include "testing/control_plane.h"

namespace minik8s::client {
namespace {

using minik8s::core::v1::Pod;
using minik8s::testing::BackendKind;
using minik8s::testing::ControlPlane;
using minik8s::testing::WaitFor;

class ClientE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(BackendKind::kMinik8sStore);
        !why.empty()) {
      GTEST_SKIP() << why << "; build them to run the client e2e tests";
    }
    absl::Status started = cp_.Start();
    ASSERT_TRUE(started.ok()) << started;
    ApiClientOptions options;
    options.server = cp_.apiserver_address();
    options.timeout = absl::Seconds(5);
    auto cs = Clientset::Connect(options);
    ASSERT_TRUE(cs.ok()) << cs.status();
    cs_ = *std::move(cs);
    for (const char* ns : {"default", "kube-system"}) {
      minik8s::core::v1::Namespace n;
      n.mutable_metadata()->set_name(ns);
      auto created = cs_->Namespaces().Create(n);
      ASSERT_TRUE(created.ok() || api::IsAlreadyExists(created.status())) << created.status();
    }
  }

  ControlPlane cp_;
  std::unique_ptr<Clientset> cs_;
};

Pod MakePod(const std::string& name) {
  Pod p;
  p.mutable_metadata()->set_namespace_("default");
  p.mutable_metadata()->set_name(name);
  (*p.mutable_metadata()->mutable_labels())["app"] = "mirror";
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("main");
  c->set_image("nginx:1.25");
  return p;
}

// What the handlers saw, as a map key → resourceVersion, plus violations of
// the add/update/delete protocol (an add for a key already present, an
// update or delete for a key not present).
class HandlerMirror {
 public:
  EventHandlers<Pod> Handlers() {
    EventHandlers<Pod> h;
    h.on_add = [this](const std::shared_ptr<const Pod>& p) {
      absl::MutexLock lock(&mu_);
      if (!mirror_.emplace(KeyOf(*p), p->metadata().resource_version()).second) ++duplicates_;
    };
    h.on_update = [this](const std::shared_ptr<const Pod>&, const std::shared_ptr<const Pod>& p) {
      absl::MutexLock lock(&mu_);
      auto it = mirror_.find(KeyOf(*p));
      if (it == mirror_.end()) {
        ++unknown_;
        return;
      }
      it->second = p->metadata().resource_version();
    };
    h.on_delete = [this](const std::shared_ptr<const Pod>& p, bool) {
      absl::MutexLock lock(&mu_);
      if (mirror_.erase(KeyOf(*p)) == 0) ++unknown_;
    };
    return h;
  }
  std::map<std::string, std::string> mirror() {
    absl::MutexLock lock(&mu_);
    return mirror_;
  }
  int duplicates() {
    absl::MutexLock lock(&mu_);
    return duplicates_;
  }
  int unknown() {
    absl::MutexLock lock(&mu_);
    return unknown_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::string> mirror_ ABSL_GUARDED_BY(mu_);
  int duplicates_ ABSL_GUARDED_BY(mu_) = 0;
  int unknown_ ABSL_GUARDED_BY(mu_) = 0;
};

std::map<std::string, std::string> FreshList(Clientset* cs) {
  std::map<std::string, std::string> out;
  auto list = cs->Pods().List("default");
  if (!list.ok()) return {{"<error>", list.status().ToString()}};
  for (const Pod& p : list->items) out[KeyOf(p)] = p.metadata().resource_version();
  return out;
}

TEST_F(ClientE2E, TypedClientVerbs) {
  auto created = cs_->Pods().Create(MakePod("verbs"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE(created->metadata().uid().empty());
  EXPECT_TRUE(api::IsAlreadyExists(cs_->Pods().Create(MakePod("verbs")).status()));
  auto got = cs_->Pods().Get("default", "verbs");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(api::IsNotFound(cs_->Pods().Get("default", "nope").status()));
  EXPECT_EQ(api::Reason(cs_->Pods().Get("default", "nope").status()), "NotFound");

  Pod stale = *got;
  Pod changed = *got;
  (*changed.mutable_metadata()->mutable_labels())["v"] = "2";
  ASSERT_TRUE(cs_->Pods().Update(changed).ok());
  (*stale.mutable_metadata()->mutable_labels())["v"] = "3";
  EXPECT_TRUE(api::IsConflict(cs_->Pods().Update(stale).status()));

  auto patched = cs_->Pods().Patch("default", "verbs", R"({"metadata":{"labels":{"p":"x"}}})");
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ(patched->metadata().labels().at("p"), "x");

  auto list = cs_->Pods().List("default", {.label_selector = "p=x"});
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_FALSE(list->resource_version.empty());

  DeleteOptions opts;
  opts.grace_period_seconds = 0;
  auto deleted = cs_->Pods().Delete("default", "verbs", opts);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_TRUE(WaitFor([&] { return api::IsNotFound(cs_->Pods().Get("default", "verbs").status()); },
                      absl::Seconds(10)));
}

// The apiserver packs events queued for a watch into one message (the
// client allows batches); the stream still yields them one by one, in order.
TEST_F(ClientE2E, WatchYieldsBatchedEventsOneByOneInOrder) {
  auto first = cs_->Pods().Create(MakePod("batch-00"));
  ASSERT_TRUE(first.ok()) << first.status();
  std::vector<std::string> rvs;
  for (int i = 1; i <= 15; ++i) {
    auto created = cs_->Pods().Create(MakePod(absl::StrFormat("batch-%02d", i)));
    ASSERT_TRUE(created.ok()) << created.status();
    rvs.push_back(created->metadata().resource_version());
  }
  // Wait (List at that version) until the watch cache holds them all, so
  // the watch below replays all 15 at once.
  ASSERT_TRUE(cs_->Pods().List("default", {.resource_version = rvs.back()}).ok());
  auto watch = cs_->Pods().Watch(
      "default",
      {.resource_version = first->metadata().resource_version(), .allow_bookmarks = false});
  ASSERT_TRUE(watch.ok()) << watch.status();
  for (int i = 1; i <= 15; ++i) {
    WatchEvent event;
    ASSERT_TRUE((*watch)->Next(&event)) << (*watch)->status();
    EXPECT_EQ(event.type, WatchEventType::kAdded);
    EXPECT_EQ(event.resource_version, rvs[i - 1]);
    auto pod = ObjectAs<Pod>(event);
    ASSERT_NE(pod, nullptr);
    EXPECT_EQ(pod->metadata().name(), absl::StrFormat("batch-%02d", i));
  }
  auto deleted = cs_->Pods().Delete("default", "batch-03", {.grace_period_seconds = 0});
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  WatchEvent event;
  ASSERT_TRUE((*watch)->Next(&event)) << (*watch)->status();
  EXPECT_EQ(event.type, WatchEventType::kDeleted);
  EXPECT_EQ(ObjectAs<Pod>(event)->metadata().name(), "batch-03");
  (*watch)->Cancel();
  EXPECT_FALSE((*watch)->Next(&event));
  EXPECT_TRUE((*watch)->status().ok()) << (*watch)->status();
}

TEST_F(ClientE2E, InformerMirrorsPodsAcrossApiserverRestarts) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cs_->Pods().Create(MakePod(absl::StrCat("pre-", i))).ok());
  }
  InformerOptions options;
  options.name = "pods";
  options.namespace_ = "default";
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(500);
  Informer<Pod> informer(cs_->api(), options);
  HandlerMirror handlers;
  informer.AddEventHandler(handlers.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForCacheSync(absl::Seconds(20)));

  // A writer creates and deletes pods (retrying through outages) while the
  // apiserver is killed and restarted twice.
  std::atomic<bool> done{false};
  std::atomic<int> created{0};
  std::thread writer([&] {
    for (int i = 0; !done.load() && i < 400; ++i) {
      std::string name = absl::StrCat("w-", i);
      while (!done.load()) {
        absl::Status s = cs_->Pods().Create(MakePod(name)).status();
        // AlreadyExists: an earlier try went through but its answer was lost
        // with the apiserver.
        if (s.ok() || api::IsAlreadyExists(s)) break;
        absl::SleepFor(absl::Milliseconds(20));  // retry pause through the outage
      }
      created.fetch_add(1);
      if (i % 3 == 0) {
        DeleteOptions opts;
        opts.grace_period_seconds = 0;
        while (!done.load()) {
          absl::Status s = cs_->Pods().Delete("default", name, opts).status();
          if (s.ok() || api::IsNotFound(s)) break;
          absl::SleepFor(absl::Milliseconds(20));
        }
      }
    }
  });
  // Each outage starts after the writer has made progress (10 more pods),
  // and the test ends after 10 more once the apiserver is back.
  auto writer_progressed = [&] {
    const int target = created.load() + 10;
    return WaitFor([&] { return created.load() >= target; }, absl::Seconds(30));
  };
  bool progressed = true;
  for (int round = 0; round < 2 && progressed; ++round) {
    progressed = writer_progressed();
    if (!progressed) break;
    cp_.StopApiserver(SIGKILL);
    // The outage under test: the writer and the informer see the apiserver
    // gone for this long.
    absl::SleepFor(absl::Milliseconds(300));
    absl::Status restarted = cp_.StartApiserver();
    EXPECT_TRUE(restarted.ok()) << restarted;
  }
  if (progressed) progressed = writer_progressed();
  done = true;
  writer.join();
  ASSERT_TRUE(progressed) << "the writer is stuck";

  std::map<std::string, std::string> want;
  ASSERT_TRUE(WaitFor(
      [&] {
        want = FreshList(cs_.get());
        std::map<std::string, std::string> cache;
        for (auto& p : informer.GetLister().List()) {
          cache[KeyOf(*p)] = p->metadata().resource_version();
        }
        return cache == want && handlers.mirror() == want;
      },
      absl::Seconds(30)))
      << "informer cache or handler view differs from a fresh list";
  EXPECT_GT(want.size(), 10u);
  EXPECT_EQ(handlers.duplicates(), 0);
  EXPECT_EQ(handlers.unknown(), 0);
  informer.Stop();
}

TEST_F(ClientE2E, LeaderElectionBetweenTwoCandidates) {
  auto leases = NewApiLeaseClient(cs_->api());
  auto config = [](const std::string& id) {
    LeaderElectionConfig c;
    c.lease_namespace = "kube-system";
    c.lease_name = "e2e-controller";
    c.identity = id;
    c.lease_duration = absl::Seconds(3);
    c.renew_deadline = absl::Seconds(2);
    c.retry_period = absl::Milliseconds(300);
    return c;
  };
  LeaderElector a(leases.get(), config("a"));
  LeaderElector b(leases.get(), config("b"));
  a.Start();
  b.Start();
  ASSERT_TRUE(WaitFor([&] { return a.IsLeader() || b.IsLeader(); }, absl::Seconds(20)));
  absl::Time until = absl::Now() + absl::Seconds(2);
  while (absl::Now() < until) {
    ASSERT_FALSE(a.IsLeader() && b.IsLeader());
    absl::SleepFor(absl::Milliseconds(10));
  }
  LeaderElector& leader = a.IsLeader() ? a : b;
  LeaderElector& follower = a.IsLeader() ? b : a;
  std::string leader_id = a.IsLeader() ? "a" : "b";
  auto lease = cs_->Leases().Get("kube-system", "e2e-controller");
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ(lease->spec().holder_identity(), leader_id);
  EXPECT_EQ(follower.GetLeader(), leader_id);

  leader.Stop();  // releases the lease
  ASSERT_TRUE(WaitFor([&] { return follower.IsLeader(); }, absl::Seconds(5)));
  lease = cs_->Leases().Get("kube-system", "e2e-controller");
  ASSERT_TRUE(lease.ok());
  EXPECT_NE(lease->spec().holder_identity(), leader_id);
  EXPECT_GE(lease->spec().lease_transitions(), 1);
}

}  // namespace
}  // namespace minik8s::client
