#include "api/time.h"
#include "common/fake_clock.h"
#include "gtest/gtest.h"
#include "scheduler/queue/scheduling_queue.h"
#include "tests/scheduler/test_util.h"

namespace minik8s::scheduler {
namespace {

using testutil::MakePod;
using testutil::Share;

class QueueTest : public ::testing::Test {
 protected:
  QueueTest() : queue_({.clock = &clock_}) {}

  std::shared_ptr<const Pod> P(const std::string& name, int priority = 0, int created = 0) {
    Pod p = MakePod(name);
    if (priority != 0) p.mutable_spec()->set_priority(priority);
    *p.mutable_metadata()->mutable_creation_timestamp() =
        minik8s::api::ToProtoTime(absl::FromUnixSeconds(1600000000 + created));
    return Share(p);
  }

  common::FakeClock clock_;
  SchedulingQueue queue_;
};

TEST_F(QueueTest, PopsByPriorityThenCreation) {
  queue_.Add(P("late", 0, 30));
  queue_.Add(P("early", 0, 10));
  queue_.Add(P("important", 100, 50));
  EXPECT_EQ(queue_.Pop()->key, "default/important");
  EXPECT_EQ(queue_.Pop()->key, "default/early");
  EXPECT_EQ(queue_.Pop()->key, "default/late");
  EXPECT_EQ(queue_.NumInFlight(), 3u);
}

TEST_F(QueueTest, BackoffDoublesToTenSeconds) {
  EXPECT_EQ(queue_.BackoffDuration(1), absl::Seconds(1));
  EXPECT_EQ(queue_.BackoffDuration(2), absl::Seconds(2));
  EXPECT_EQ(queue_.BackoffDuration(3), absl::Seconds(4));
  EXPECT_EQ(queue_.BackoffDuration(4), absl::Seconds(8));
  EXPECT_EQ(queue_.BackoffDuration(5), absl::Seconds(10));
  EXPECT_EQ(queue_.BackoffDuration(20), absl::Seconds(10));
}

TEST_F(QueueTest, ErrorGoesToBackoffThenActive) {
  queue_.Add(P("a"));
  auto info = queue_.Pop();
  int64_t cycle = queue_.SchedulingCycle();
  queue_.AddUnschedulableIfNotPresent(*info, cycle, /*error=*/true);
  EXPECT_EQ(queue_.NumBackoff(), 1u);
  EXPECT_EQ(queue_.NumInFlight(), 0u);
  clock_.Advance(absl::Milliseconds(999));
  queue_.FlushBackoffCompleted();
  EXPECT_EQ(queue_.NumActive(), 0u);
  clock_.Advance(absl::Milliseconds(1));
  queue_.FlushBackoffCompleted();
  EXPECT_EQ(queue_.NumActive(), 1u);
  auto again = queue_.Pop();
  EXPECT_EQ(again->attempts, 2);
}

TEST_F(QueueTest, UnschedulableMovesOnClusterEvent) {
  queue_.Add(P("a"));
  auto info = queue_.Pop();
  queue_.AddUnschedulableIfNotPresent(*info, queue_.SchedulingCycle());
  EXPECT_EQ(queue_.NumUnschedulable(), 1u);
  // Still backing off (1 s after its first attempt): to backoff.
  queue_.MoveAllToActiveOrBackoffQueue("NodeAdd");
  EXPECT_EQ(queue_.NumUnschedulable(), 0u);
  EXPECT_EQ(queue_.NumBackoff(), 1u);
  clock_.Advance(absl::Seconds(1));
  queue_.FlushBackoffCompleted();
  EXPECT_EQ(queue_.NumActive(), 1u);

  // After its backoff has passed, a cluster event moves it straight to active.
  info = queue_.Pop();
  queue_.AddUnschedulableIfNotPresent(*info, queue_.SchedulingCycle());
  clock_.Advance(absl::Seconds(5));
  queue_.MoveAllToActiveOrBackoffQueue("NodeUpdate");
  EXPECT_EQ(queue_.NumActive(), 1u);
}

TEST_F(QueueTest, UnschedulableLeftoverAfterTimeout) {
  queue_.Add(P("a"));
  auto info = queue_.Pop();
  queue_.AddUnschedulableIfNotPresent(*info, queue_.SchedulingCycle());
  clock_.Advance(absl::Seconds(59));
  queue_.FlushUnschedulableLeftover();
  EXPECT_EQ(queue_.NumUnschedulable(), 1u);
  clock_.Advance(absl::Seconds(1));
  queue_.FlushUnschedulableLeftover();
  EXPECT_EQ(queue_.NumUnschedulable(), 0u);
  EXPECT_EQ(queue_.NumActive(), 1u);
}

TEST_F(QueueTest, MoveRequestDuringCycleSendsFailureToBackoff) {
  queue_.Add(P("a"));
  auto info = queue_.Pop();
  int64_t cycle = queue_.SchedulingCycle();
  queue_.MoveAllToActiveOrBackoffQueue("NodeAdd");  // while "a" was being scheduled
  queue_.AddUnschedulableIfNotPresent(*info, cycle);
  EXPECT_EQ(queue_.NumUnschedulable(), 0u);
  EXPECT_EQ(queue_.NumBackoff(), 1u);
}

TEST_F(QueueTest, AssignedPodEventsMoveOnlyPodsThatWaitForOtherPods) {
  Pod spread = MakePod("spread");
  auto* c = spread.mutable_spec()->add_topology_spread_constraints();
  c->set_when_unsatisfiable("DoNotSchedule");
  Pod affine = MakePod("affine");
  affine.mutable_spec()
      ->mutable_affinity()
      ->mutable_pod_affinity()
      ->add_required_during_scheduling_ignored_during_execution();
  Pod anti = MakePod("anti");  // only a pod leaving can help it
  anti.mutable_spec()
      ->mutable_affinity()
      ->mutable_pod_anti_affinity()
      ->add_required_during_scheduling_ignored_during_execution();
  EXPECT_TRUE(HasInterPodRequirements(spread));
  EXPECT_TRUE(HasInterPodRequirements(affine));
  EXPECT_FALSE(HasInterPodRequirements(anti));
  EXPECT_FALSE(HasInterPodRequirements(MakePod("plain")));

  for (const Pod& p : {spread, affine, anti, MakePod("plain")}) {
    queue_.Add(Share(p));
    auto info = queue_.Pop();
    queue_.AddUnschedulableIfNotPresent(*info, queue_.SchedulingCycle());
  }
  ASSERT_EQ(queue_.NumUnschedulable(), 4u);
  clock_.Advance(absl::Seconds(5));  // past their backoff
  queue_.MoveInterPodToActiveOrBackoffQueue("AssignedPodAdd");
  EXPECT_EQ(queue_.NumUnschedulable(), 2u);
  EXPECT_EQ(queue_.NumActive(), 2u);

  // Such a pod failing in a cycle that overlapped the event goes to backoff.
  auto info = queue_.Pop();
  int64_t cycle = queue_.SchedulingCycle();
  queue_.MoveInterPodToActiveOrBackoffQueue("AssignedPodAdd");
  queue_.AddUnschedulableIfNotPresent(*info, cycle);
  EXPECT_EQ(queue_.NumUnschedulable(), 2u);
  EXPECT_EQ(queue_.NumBackoff(), 1u);
}

TEST_F(QueueTest, InFlightUpdatesDoNotRequeueButAreKept) {
  auto old_pod = P("a");
  queue_.Add(old_pod);
  auto info = queue_.Pop();
  Pod changed = *old_pod;
  (*changed.mutable_spec()->mutable_node_selector())["disk"] = "ssd";
  auto new_pod = Share(changed);
  queue_.Update(old_pod, new_pod);
  EXPECT_EQ(queue_.NumActive(), 0u);  // not scheduled twice at once
  queue_.AddUnschedulableIfNotPresent(*info, queue_.SchedulingCycle());
  // Updated while in flight: backoff (not unschedulable), with the new object.
  EXPECT_EQ(queue_.NumBackoff(), 1u);
  clock_.Advance(absl::Seconds(1));
  auto again = queue_.Pop();
  EXPECT_EQ(again->pod->spec().node_selector().at("disk"), "ssd");
}

TEST_F(QueueTest, StatusOnlyUpdateKeepsPodUnschedulable) {
  auto old_pod = P("a");
  queue_.Add(old_pod);
  auto info = queue_.Pop();
  queue_.AddUnschedulableIfNotPresent(*info, queue_.SchedulingCycle());
  Pod with_status = *old_pod;
  with_status.mutable_metadata()->set_resource_version("42");
  with_status.mutable_status()->add_conditions()->set_type("PodScheduled");
  queue_.Update(old_pod, Share(with_status));
  EXPECT_EQ(queue_.NumUnschedulable(), 1u);
  Pod spec_change = with_status;
  (*spec_change.mutable_metadata()->mutable_labels())["x"] = "y";
  queue_.Update(Share(with_status), Share(spec_change));
  EXPECT_EQ(queue_.NumUnschedulable(), 0u);
}

TEST_F(QueueTest, DeleteRemovesEverywhereIncludingInFlight) {
  queue_.Add(P("a"));
  queue_.Add(P("b"));
  auto a = queue_.Pop();
  queue_.Delete("default/a");
  queue_.Delete("default/b");
  EXPECT_EQ(queue_.NumActive(), 0u);
  queue_.AddUnschedulableIfNotPresent(*a, queue_.SchedulingCycle());
  EXPECT_EQ(queue_.NumUnschedulable() + queue_.NumBackoff(), 0u);
}

TEST_F(QueueTest, PopBlocksUntilBackoffExpiresOnTheClock) {
  queue_.Add(P("a"));
  auto info = queue_.Pop();
  queue_.AddUnschedulableIfNotPresent(*info, queue_.SchedulingCycle(), true);
  std::optional<QueuedPodInfo> popped;
  std::thread t([&] { popped = queue_.Pop(); });
  // Wait until Pop sleeps on the fake clock, then move time.
  while (clock_.NumTimedWaiters() == 0) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_FALSE(popped.has_value());
  clock_.Advance(absl::Seconds(1));
  t.join();
  ASSERT_TRUE(popped.has_value());
  EXPECT_EQ(popped->key, "default/a");
}

TEST_F(QueueTest, CloseUnblocksPop) {
  std::thread t([&] { EXPECT_FALSE(queue_.Pop().has_value()); });
  queue_.Close();
  t.join();
}

}  // namespace
}  // namespace minik8s::scheduler
