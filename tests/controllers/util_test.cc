// Pure controller helpers: expectations, slow-start batches, deletion
// ranking, pod readiness/availability, claim decisions, the reconcile
// worker loop.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "api/time.h"
#include "client/workqueue.h"
#include "common/clock.h"
#include "common/fake_clock.h"
#include "controllers/util/expectations.h"
#include "controllers/util/owner_refs.h"
#include "controllers/util/pod_ranking.h"
#include "controllers/util/pod_util.h"
#include "controllers/util/slow_start.h"
#include "controllers/util/worker.h"
#include "gtest/gtest.h"

namespace minik8s::controllers {
namespace {

using minik8s::core::v1::Pod;

TEST(Expectations, BlockUntilObservedOrExpired) {
  common::FakeClock clock;
  ControllerExpectations e(&clock);
  EXPECT_TRUE(e.SatisfiedExpectations("ns/rs"));  // never recorded
  e.ExpectCreations("ns/rs", 2);
  EXPECT_FALSE(e.SatisfiedExpectations("ns/rs"));
  e.CreationObserved("ns/rs");
  EXPECT_FALSE(e.SatisfiedExpectations("ns/rs"));
  e.CreationObserved("ns/rs");
  EXPECT_TRUE(e.SatisfiedExpectations("ns/rs"));

  e.ExpectDeletions("ns/rs", {"ns/a", "ns/b"});
  e.DeletionObserved("ns/rs", "ns/a");
  e.DeletionObserved("ns/rs", "ns/a");  // seen twice, counted once
  EXPECT_FALSE(e.SatisfiedExpectations("ns/rs"));
  EXPECT_EQ(e.Pending("ns/rs"), std::make_pair(0, 1));
  clock.Advance(absl::Minutes(5) + absl::Seconds(1));  // TTL
  EXPECT_TRUE(e.SatisfiedExpectations("ns/rs"));

  e.ExpectCreations("ns/rs", 5);
  e.LowerExpectations("ns/rs", 5, {});
  EXPECT_TRUE(e.SatisfiedExpectations("ns/rs"));
  e.ExpectCreations("ns/rs", 1);
  e.DeleteExpectations("ns/rs");
  EXPECT_TRUE(e.SatisfiedExpectations("ns/rs"));
}

TEST(SlowStartBatch, BatchSizes) {
  EXPECT_EQ(SlowStartBatchSizes(0, 1), (std::vector<int>{}));
  EXPECT_EQ(SlowStartBatchSizes(1, 1), (std::vector<int>{1}));
  EXPECT_EQ(SlowStartBatchSizes(10, 1), (std::vector<int>{1, 2, 4, 3}));
  EXPECT_EQ(SlowStartBatchSizes(500, 1), (std::vector<int>{1, 2, 4, 8, 16, 32, 64, 128, 245}));
}

TEST(SlowStartBatch, AllSucceed) {
  std::atomic<int> calls{0};
  auto [ok, err] = SlowStartBatch(37, 1, [&] {
    calls++;
    return absl::OkStatus();
  });
  EXPECT_EQ(ok, 37);
  EXPECT_TRUE(err.ok());
  EXPECT_EQ(calls.load(), 37);
}

TEST(SlowStartBatch, StopsAfterTheBatchWithTheFirstError) {
  // Calls 1..3 succeed (batches 1 and 2), the 4th fails: batch 3 (size 4)
  // finishes and nothing more is tried.
  std::atomic<int> calls{0};
  auto [ok, err] = SlowStartBatch(100, 1, [&]() -> absl::Status {
    int n = ++calls;
    if (n >= 4) return absl::UnavailableError("quota");
    return absl::OkStatus();
  });
  EXPECT_EQ(calls.load(), 7);
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(err.code(), absl::StatusCode::kUnavailable);
}

Pod MakePod(const std::string& name, const std::string& node, const std::string& phase, bool ready,
            absl::Time ready_since, absl::Time created, int restarts = 0) {
  Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_uid("uid-" + name);
  *p.mutable_metadata()->mutable_creation_timestamp() = api::ToProtoTime(created);
  p.mutable_spec()->set_node_name(node);
  p.mutable_status()->set_phase(phase);
  auto* c = p.mutable_status()->add_conditions();
  c->set_type("Ready");
  c->set_status(ready ? "True" : "False");
  *c->mutable_last_transition_time() = api::ToProtoTime(ready_since);
  p.mutable_status()->add_container_statuses()->set_restart_count(restarts);
  return p;
}

TEST(PodRanking, KubernetesOrder) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  const absl::Time old_t = now - absl::Hours(10);
  struct Case {
    const char* what;
    Pod first, second;  // `first` must be deleted before `second`
  };
  Pod cost_low = MakePod("a", "n1", "Running", true, old_t, old_t);
  (*cost_low.mutable_metadata()->mutable_annotations())[kPodDeletionCostAnnotation] = "-5";
  const Case cases[] = {
      {"unassigned before assigned", MakePod("a", "", "Pending", false, old_t, old_t),
       MakePod("b", "n1", "Pending", false, old_t, old_t)},
      {"pending before running", MakePod("a", "n1", "Pending", false, old_t, old_t),
       MakePod("b", "n1", "Running", false, old_t, old_t)},
      {"unknown before running", MakePod("a", "n1", "Unknown", false, old_t, old_t),
       MakePod("b", "n1", "Running", false, old_t, old_t)},
      {"not ready before ready", MakePod("a", "n1", "Running", false, old_t, old_t),
       MakePod("b", "n1", "Running", true, old_t, old_t)},
      {"lower deletion cost first", cost_low, MakePod("b", "n1", "Running", true, old_t, old_t)},
      {"ready more recently first",
       MakePod("a", "n1", "Running", true, now - absl::Seconds(10), old_t),
       MakePod("b", "n1", "Running", true, now - absl::Hours(5), old_t)},
      {"more restarts first", MakePod("a", "n1", "Running", true, old_t, old_t, 3),
       MakePod("b", "n1", "Running", true, old_t, old_t, 1)},
      {"newer first", MakePod("a", "n1", "Running", true, old_t, now - absl::Minutes(1)),
       MakePod("b", "n1", "Running", true, old_t, now - absl::Hours(3))},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(PodDeletesBefore(c.first, 0, c.second, 0, now)) << c.what;
    EXPECT_FALSE(PodDeletesBefore(c.second, 0, c.first, 0, now)) << c.what;
  }
  // Doubled-up pods (higher rank) first when all else is equal.
  Pod a = MakePod("a", "n1", "Running", true, old_t, old_t);
  Pod b = MakePod("b", "n2", "Running", true, old_t, old_t);
  EXPECT_TRUE(PodDeletesBefore(a, 2, b, 1, now));
  // Ready times in the same log2 bucket: uid decides, not the exact time.
  Pod c = MakePod("c", "n1", "Running", true, now - absl::Seconds(1000), old_t);
  Pod d = MakePod("d", "n1", "Running", true, now - absl::Seconds(1001), old_t);
  EXPECT_TRUE(PodDeletesBefore(c, 0, d, 0, now));
  EXPECT_FALSE(PodDeletesBefore(d, 0, c, 0, now));
}

TEST(PodRanking, PodsToDeletePicksLowestRanked) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  const absl::Time t = now - absl::Hours(1);
  std::vector<PodPtr> pods = {
      std::make_shared<Pod>(MakePod("running-1", "n1", "Running", true, t, t)),
      std::make_shared<Pod>(MakePod("pending", "n1", "Pending", false, t, t)),
      std::make_shared<Pod>(MakePod("running-2", "n2", "Running", true, t, t)),
      std::make_shared<Pod>(MakePod("unassigned", "", "Pending", false, t, t)),
  };
  auto victims = PodsToDelete(pods, pods, 2, now);
  ASSERT_EQ(victims.size(), 2u);
  EXPECT_EQ(victims[0]->metadata().name(), "unassigned");
  EXPECT_EQ(victims[1]->metadata().name(), "pending");
  EXPECT_EQ(PodsToDelete(pods, pods, 9, now).size(), 4u);
}

TEST(PodUtil, ActiveReadyAvailable) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  Pod p = MakePod("a", "n1", "Running", true, now - absl::Seconds(5), now - absl::Hours(1));
  EXPECT_TRUE(IsPodActive(p));
  EXPECT_TRUE(IsPodReady(p));
  EXPECT_TRUE(IsPodAvailable(p, 0, now));
  EXPECT_TRUE(IsPodAvailable(p, 4, now));
  EXPECT_FALSE(IsPodAvailable(p, 5, now));  // strictly before now
  EXPECT_FALSE(IsPodAvailable(p, 10, now));
  p.mutable_status()->set_phase("Succeeded");
  EXPECT_FALSE(IsPodActive(p));
  p.mutable_status()->set_phase("Running");
  *p.mutable_metadata()->mutable_deletion_timestamp() = api::ToProtoTime(now);
  EXPECT_FALSE(IsPodActive(p));
}

TEST(OwnerRefs, ClaimDecisions) {
  minik8s::meta::v1::ObjectMeta owner;
  owner.set_name("rs");
  owner.set_uid("u1");
  auto selector = api::LabelSelector::Parse("app=web");
  ASSERT_TRUE(selector.ok());
  minik8s::meta::v1::ObjectMeta pod;
  (*pod.mutable_labels())["app"] = "web";
  EXPECT_EQ(DecideClaim(owner, *selector, pod), ClaimAction::kAdopt);
  *pod.add_owner_references() = NewControllerRef(owner, "apps/v1", "ReplicaSet");
  EXPECT_TRUE(pod.owner_references(0).block_owner_deletion());
  EXPECT_EQ(DecideClaim(owner, *selector, pod), ClaimAction::kKeep);
  (*pod.mutable_labels())["app"] = "db";
  EXPECT_EQ(DecideClaim(owner, *selector, pod), ClaimAction::kRelease);
  pod.mutable_owner_references(0)->set_uid("other");
  EXPECT_EQ(DecideClaim(owner, *selector, pod), ClaimAction::kIgnore);
  EXPECT_TRUE(RemoveOwnerReference(&pod, "other"));
  (*pod.mutable_labels())["app"] = "web";
  pod.mutable_deletion_timestamp()->set_seconds(1);
  EXPECT_EQ(DecideClaim(owner, *selector, pod), ClaimAction::kIgnore);
}

TEST(Worker, IgnorableErrorIsMarkedFailedPrecondition) {
  absl::Status ignorable = IgnorableError("recognized, not allowed yet");
  EXPECT_TRUE(absl::IsFailedPrecondition(ignorable));
  EXPECT_EQ(ignorable.message(), "recognized, not allowed yet");
  EXPECT_TRUE(IsIgnorable(ignorable));
  EXPECT_FALSE(IsIgnorable(absl::FailedPreconditionError("recognized, not allowed yet")));
  EXPECT_FALSE(IsIgnorable(absl::OkStatus()));
}

// Success forgets the failure history; an error, ignorable or not, re-queues
// the key rate-limited; Done always follows (the key can be queued again).
TEST(Worker, ProcessNextWorkItemForgetsOrRequeues) {
  common::FakeClock clock;
  client::WorkQueueOptions options;
  options.clock = &clock;
  client::WorkQueue queue(std::move(options));
  std::vector<std::string> synced;
  absl::Status next = absl::UnavailableError("apiserver down");
  const SyncFunc sync = [&](const std::string& key) {
    synced.push_back(key);
    return next;
  };

  queue.Add("ns/a");
  ASSERT_TRUE(ProcessNextWorkItem(&queue, sync, "test", "thing"));
  EXPECT_EQ(queue.NumRequeues("ns/a"), 1);
  EXPECT_EQ(queue.Len(), 0);
  EXPECT_EQ(queue.NumWaiting(), 1);  // back after the backoff

  next = IgnorableError("not yet");
  queue.Add("ns/a");  // ready now, ahead of the delayed add
  ASSERT_TRUE(ProcessNextWorkItem(&queue, sync, "test"));
  EXPECT_EQ(queue.NumRequeues("ns/a"), 2);

  next = absl::OkStatus();
  queue.Add("ns/a");
  ASSERT_TRUE(ProcessNextWorkItem(&queue, sync, "test"));
  EXPECT_EQ(queue.NumRequeues("ns/a"), 0);
  EXPECT_EQ(synced, (std::vector<std::string>{"ns/a", "ns/a", "ns/a"}));

  queue.ShutDown();
  EXPECT_FALSE(ProcessNextWorkItem(&queue, sync, "test"));
  EXPECT_EQ(synced.size(), 3u);
}

// The pool's workers sync every key once and end when the queue shuts down.
TEST(Worker, PoolSyncsUntilShutDown) {
  client::WorkQueue queue;
  absl::Mutex mu;
  std::vector<std::string> synced;
  WorkerPool pool;
  pool.Start(
      &queue, 2,
      [&](const std::string& key) {
        absl::MutexLock lock(&mu);
        synced.push_back(key);
        return absl::OkStatus();
      },
      "test");
  queue.Add("a");
  queue.Add("b");
  queue.Add("c");
  queue.ShutDown();  // the workers still take what is queued
  pool.Join();
  absl::MutexLock lock(&mu);
  std::sort(synced.begin(), synced.end());
  EXPECT_EQ(synced, (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace minik8s::controllers
