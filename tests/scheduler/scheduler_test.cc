// The whole scheduling loop without a network: informer events are fed to
// the handlers by hand and a fake ApiWriter records bindings, conditions
// and events.
#include "scheduler/scheduler.h"

#include <map>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "common/fake_clock.h"
#include "gtest/gtest.h"
#include "tests/scheduler/test_util.h"

namespace minik8s::scheduler {
namespace {

using testutil::MakeNode;
using testutil::MakePod;
using testutil::Share;

class FakeWriter : public ApiWriter {
 public:
  absl::Status Bind(const Pod& pod, const std::string& node) override {
    absl::MutexLock l(&mu_);
    if (fail_binds_ > 0) {
      --fail_binds_;
      return absl::UnavailableError("apiserver unavailable");
    }
    bindings_[PodKey(pod)] = node;
    return absl::OkStatus();
  }
  absl::Status UpdatePodStatus(const Pod& pod) override {
    absl::MutexLock l(&mu_);
    statuses_.push_back(pod);
    return absl::OkStatus();
  }
  void Event(const Pod& pod, std::string_view type, std::string_view reason,
             std::string_view message) override {
    absl::MutexLock l(&mu_);
    events_.push_back(std::string(type) + " " + std::string(reason) + " " + std::string(message));
  }

  absl::Mutex mu_;
  int fail_binds_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::string> bindings_ ABSL_GUARDED_BY(mu_);
  std::vector<Pod> statuses_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SchedulerOptions options;
    options.parallelism = 2;
    options.bind_workers = 2;
    options.queue.clock = &clock_;
    options.seed = 1;
    auto s = Scheduler::Create(&writer_, options);
    ASSERT_TRUE(s.ok()) << s.status();
    sched_ = *std::move(s);
  }
  // One cycle, then wait for its API writes.
  void Cycle() {
    ASSERT_TRUE(sched_->ScheduleOne());
    sched_->DrainBinders();
  }
  std::string BoundTo(const std::string& key) {
    absl::MutexLock l(&writer_.mu_);
    auto it = writer_.bindings_.find(key);
    return it == writer_.bindings_.end() ? "" : it->second;
  }

  common::FakeClock clock_;
  FakeWriter writer_;
  std::unique_ptr<Scheduler> sched_;
};

TEST_F(SchedulerTest, BindsAndEmitsScheduled) {
  sched_->OnNodeAdd(Share(MakeNode("node-1")));
  Pod p = MakePod("nginx-1", "500m");
  sched_->OnPodAdd(Share(p));
  Cycle();
  EXPECT_EQ(BoundTo("default/nginx-1"), "node-1");
  EXPECT_TRUE(sched_->cache().IsAssumed("default/nginx-1"));
  {
    absl::MutexLock l(&writer_.mu_);
    ASSERT_EQ(writer_.events_.size(), 1u);
    EXPECT_EQ(writer_.events_[0],
              "Normal Scheduled Successfully assigned default/nginx-1 to node-1");
  }
  // The informer shows it bound: confirmed, removed from the queue.
  Pod bound = p;
  bound.mutable_spec()->set_node_name("node-1");
  sched_->OnPodUpdate(Share(p), Share(bound));
  EXPECT_FALSE(sched_->cache().IsAssumed("default/nginx-1"));
  EXPECT_EQ(sched_->cache().GetNodeInfo("node-1")->requested().milli_cpu, 500);
  EXPECT_EQ(sched_->stats().scheduled, 1);
}

TEST_F(SchedulerTest, IgnoresOtherSchedulersAndBoundPods) {
  sched_->OnNodeAdd(Share(MakeNode("node-1")));
  Pod other = MakePod("other");
  other.mutable_spec()->set_scheduler_name("my-scheduler");
  sched_->OnPodAdd(Share(other));
  Pod bound = MakePod("bound", "1");
  bound.mutable_spec()->set_node_name("node-1");
  sched_->OnPodAdd(Share(bound));
  EXPECT_EQ(sched_->queue().NumActive(), 0u);
  EXPECT_EQ(sched_->cache().GetNodeInfo("node-1")->requested().milli_cpu, 1000);
  // Terminal pods stop counting.
  Pod done = bound;
  done.mutable_status()->set_phase("Succeeded");
  sched_->OnPodUpdate(Share(bound), Share(done));
  EXPECT_EQ(sched_->cache().GetNodeInfo("node-1")->num_pods(), 0);
}

TEST_F(SchedulerTest, UnschedulableThenFitsWhenANodeIsAdded) {
  sched_->OnNodeAdd(Share(MakeNode("node-1", "1")));
  Pod big = MakePod("big", "2");
  sched_->OnPodAdd(Share(big));
  Cycle();
  EXPECT_EQ(BoundTo("default/big"), "");
  EXPECT_EQ(sched_->queue().NumUnschedulable(), 1u);
  {
    absl::MutexLock l(&writer_.mu_);
    ASSERT_EQ(writer_.events_.size(), 1u);
    EXPECT_EQ(writer_.events_[0],
              "Warning FailedScheduling 0/1 nodes are available: 1 Insufficient cpu.");
    ASSERT_EQ(writer_.statuses_.size(), 1u);
    const auto& cond = writer_.statuses_[0].status().conditions(0);
    EXPECT_EQ(cond.type(), "PodScheduled");
    EXPECT_EQ(cond.status(), "False");
    EXPECT_EQ(cond.reason(), "Unschedulable");
    EXPECT_EQ(cond.message(), "0/1 nodes are available: 1 Insufficient cpu.");
  }
  // The same condition is not written twice.
  Pod written;
  {
    absl::MutexLock l(&writer_.mu_);
    written = writer_.statuses_[0];
  }
  EXPECT_FALSE(
      PodWithUnschedulableCondition(written, "0/1 nodes are available: 1 Insufficient cpu.")
          .has_value());
  sched_->OnNodeAdd(Share(MakeNode("node-2", "4")));
  // Still in its 1 s backoff: wait for it on the fake clock.
  EXPECT_EQ(sched_->queue().NumBackoff(), 1u);
  clock_.Advance(absl::Seconds(1));
  Cycle();
  EXPECT_EQ(BoundTo("default/big"), "node-2");
}

TEST_F(SchedulerTest, FailedBindingIsForgottenAndRetried) {
  sched_->OnNodeAdd(Share(MakeNode("node-1", "1")));
  {
    absl::MutexLock l(&writer_.mu_);
    writer_.fail_binds_ = 1;
  }
  sched_->OnPodAdd(Share(MakePod("p", "1")));
  Cycle();
  EXPECT_EQ(BoundTo("default/p"), "");
  EXPECT_FALSE(sched_->cache().Contains("default/p"));
  EXPECT_EQ(sched_->cache().GetNodeInfo("node-1")->requested().milli_cpu, 0);
  EXPECT_EQ(sched_->queue().NumBackoff(), 1u);
  EXPECT_EQ(sched_->stats().bind_errors, 1);
  clock_.Advance(absl::Seconds(1));
  Cycle();
  EXPECT_EQ(BoundTo("default/p"), "node-1");
}

TEST_F(SchedulerTest, DeletingABoundPodRetriesUnschedulablePods) {
  sched_->OnNodeAdd(Share(MakeNode("node-1", "1")));
  Pod holder = MakePod("holder", "1");
  holder.mutable_spec()->set_node_name("node-1");
  sched_->OnPodAdd(Share(holder));
  sched_->OnPodAdd(Share(MakePod("waiting", "1")));
  Cycle();
  EXPECT_EQ(sched_->queue().NumUnschedulable(), 1u);
  sched_->OnPodDelete(Share(holder));
  clock_.Advance(absl::Seconds(1));
  Cycle();
  EXPECT_EQ(BoundTo("default/waiting"), "node-1");
}

TEST_F(SchedulerTest, HeartbeatOnlyNodeUpdateDoesNotRequeue) {
  Node n = MakeNode("node-1");
  auto* c = n.mutable_status()->add_conditions();
  c->set_type("Ready");
  c->set_status("True");
  Node beat = n;
  beat.mutable_status()->mutable_conditions(0)->set_reason("KubeletReady");
  beat.mutable_metadata()->set_resource_version("7");
  EXPECT_FALSE(NodeSchedulingPropertiesChanged(n, beat));
  Node labeled = n;
  (*labeled.mutable_metadata()->mutable_labels())["disk"] = "ssd";
  EXPECT_TRUE(NodeSchedulingPropertiesChanged(n, labeled));
  Node cordoned = n;
  cordoned.mutable_spec()->set_unschedulable(true);
  EXPECT_TRUE(NodeSchedulingPropertiesChanged(n, cordoned));
}

TEST_F(SchedulerTest, RunAndStop) {
  sched_->OnNodeAdd(Share(MakeNode("node-1")));
  sched_->Run();
  for (int i = 0; i < 50; ++i) sched_->OnPodAdd(Share(MakePod("p" + std::to_string(i), "10m")));
  for (int i = 0; i < 2000 && sched_->stats().scheduled < 50; ++i) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(sched_->stats().scheduled, 50);
  sched_->Stop();
}

}  // namespace
}  // namespace minik8s::scheduler
