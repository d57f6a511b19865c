// NodeHeartbeat on a FakeClock: registration retries, node status every
// nodeStatusUpdateFrequency, Lease renewal every renew interval and sooner
// after a failure, re-registration of a deleted Node — driven with RunDue()
// and no threads, then once through the worker threads.
#include "kubelet/node_heartbeat.h"

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/fake_clock.h"
#include "gtest/gtest.h"

namespace minik8s::kubelet {
namespace {

// Records every call with the fake time it was made at; answers with the
// scripted results (OK once a script runs out).
class FakeNodeApi : public NodeApi {
 public:
  explicit FakeNodeApi(common::FakeClock* clock) : clock_(clock) {}

  absl::Status RegisterNode(const std::string& node) override {
    return Call("register", node, register_results);
  }
  absl::Status SyncNodeStatus(const std::string& node) override {
    return Call("status", node, status_results);
  }
  absl::Status RenewLease(const std::string& node) override {
    return Call("lease", node, lease_results);
  }

  // "<op> <node> +<seconds since start>" per call, then cleared.
  std::vector<std::string> Take() {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    out.swap(calls_);
    return out;
  }
  // Waits (on the event, with a generous real-time bound) for `n` calls.
  bool WaitForCalls(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(30));
  }

  std::deque<absl::Status> register_results, status_results, lease_results;

 private:
  absl::Status Call(const char* op, const std::string& node, std::deque<absl::Status>& script) {
    absl::MutexLock lock(&mu_);
    calls_.push_back(
        absl::StrCat(op, " ", node, " +", absl::FormatDuration(clock_->Now() - start_)));
    if (script.empty()) return absl::OkStatus();
    absl::Status s = script.front();
    script.pop_front();
    return s;
  }

  common::FakeClock* const clock_;
  const absl::Time start_ = clock_->Now();
  absl::Mutex mu_;
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
};

using Calls = std::vector<std::string>;

class NodeHeartbeatTest : public ::testing::Test {
 protected:
  NodeHeartbeatTest() : api_(&clock_), t0_(clock_.Now()) {}

  NodeHeartbeatOptions Options() {
    return NodeHeartbeatOptions{.node_status_update_frequency = absl::Seconds(10),
                                .node_lease_renew_interval = absl::Seconds(10),
                                .workers = 1};
  }
  // Moves the fake clock to `t` one due heartbeat at a time, running each.
  void RunUntil(NodeHeartbeat& hb, absl::Time t) {
    hb.RunDue();
    while (hb.NextDue() <= t) {
      clock_.AdvanceTo(hb.NextDue());
      hb.RunDue();
    }
    clock_.AdvanceTo(t);
    hb.RunDue();
  }

  // Polls (with a deadline) until two threads wait on the fake clock.
  bool BothWorkersWaiting() {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (clock_.NumTimedWaiters() < 2) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return true;
  }

  common::FakeClock clock_;
  FakeNodeApi api_;
  const absl::Time t0_;
};

TEST_F(NodeHeartbeatTest, StatusAndLeaseEveryPeriod) {
  NodeHeartbeat hb(&api_, &clock_, {"node-1"}, Options());
  EXPECT_EQ(hb.NextDue(), t0_);
  EXPECT_EQ(hb.RunDue(), t0_ + absl::Seconds(10));
  // Registered, then the first status, then the Lease loop starts.
  EXPECT_EQ(api_.Take(), (Calls{"register node-1 +0", "status node-1 +0", "lease node-1 +0"}));
  EXPECT_TRUE(hb.Registered("node-1"));

  clock_.Advance(absl::Seconds(9));
  hb.RunDue();
  EXPECT_TRUE(api_.Take().empty());  // not due yet

  RunUntil(hb, t0_ + absl::Seconds(30));
  EXPECT_EQ(api_.Take(), (Calls{"status node-1 +10s", "lease node-1 +10s", "status node-1 +20s",
                                "lease node-1 +20s", "status node-1 +30s", "lease node-1 +30s"}));
}

TEST_F(NodeHeartbeatTest, TheTwoLoopsKeepTheirOwnPeriods) {
  NodeHeartbeatOptions o = Options();
  o.node_status_update_frequency = absl::Seconds(10);
  o.node_lease_renew_interval = absl::Seconds(4);
  NodeHeartbeat hb(&api_, &clock_, {"node-1"}, o);
  RunUntil(hb, t0_ + absl::Seconds(12));
  EXPECT_EQ(api_.Take(),
            (Calls{"register node-1 +0", "status node-1 +0", "lease node-1 +0", "lease node-1 +4s",
                   "lease node-1 +8s", "status node-1 +10s", "lease node-1 +12s"}));
}

TEST_F(NodeHeartbeatTest, RegistrationIsRetriedEverySecondAndTheLeaseWaitsForIt) {
  api_.register_results = {absl::UnavailableError("apiserver down"),
                           absl::UnavailableError("apiserver down")};
  NodeHeartbeat hb(&api_, &clock_, {"node-1"}, Options());
  EXPECT_EQ(hb.RunDue(), t0_ + absl::Seconds(1));
  EXPECT_FALSE(hb.Registered("node-1"));
  RunUntil(hb, t0_ + absl::Seconds(12));
  EXPECT_EQ(api_.Take(), (Calls{"register node-1 +0", "register node-1 +1s", "register node-1 +2s",
                                "status node-1 +2s", "lease node-1 +2s", "status node-1 +12s",
                                "lease node-1 +12s"}));
  EXPECT_TRUE(hb.Registered("node-1"));
}

TEST_F(NodeHeartbeatTest, AFailedStatusUpdateWaitsForTheNextPeriod) {
  api_.status_results = {absl::OkStatus(), absl::UnavailableError("timeout")};
  NodeHeartbeat hb(&api_, &clock_, {"node-1"}, Options());
  RunUntil(hb, t0_ + absl::Seconds(20));
  EXPECT_EQ(api_.Take(), (Calls{"register node-1 +0", "status node-1 +0", "lease node-1 +0",
                                "status node-1 +10s", "lease node-1 +10s", "status node-1 +20s",
                                "lease node-1 +20s"}));
  EXPECT_TRUE(hb.Registered("node-1"));
}

TEST_F(NodeHeartbeatTest, AFailedRenewalIsRetriedSooner) {
  api_.lease_results = {absl::OkStatus(), absl::AbortedError("conflict"),
                        absl::UnavailableError("apiserver down")};
  NodeHeartbeat hb(&api_, &clock_, {"node-1"}, Options());
  RunUntil(hb, t0_ + absl::Seconds(21));
  // Back on the renew interval after a success.
  EXPECT_EQ(api_.Take(), (Calls{"register node-1 +0", "status node-1 +0", "lease node-1 +0",
                                "status node-1 +10s", "lease node-1 +10s", "lease node-1 +10.5s",
                                "lease node-1 +11s", "status node-1 +20s", "lease node-1 +21s"}));
}

TEST_F(NodeHeartbeatTest, ADeletedNodeIsRegisteredAgainAtOnce) {
  api_.status_results = {absl::OkStatus(), absl::NotFoundError("nodes \"node-1\" not found")};
  api_.register_results = {absl::OkStatus(), absl::UnavailableError("apiserver down")};
  NodeHeartbeat hb(&api_, &clock_, {"node-1"}, Options());
  RunUntil(hb, t0_ + absl::Seconds(11));
  // Deleted at +10s: registered again at once; that failing, retried every
  // second; the Lease loop goes on.
  EXPECT_EQ(api_.Take(), (Calls{"register node-1 +0", "status node-1 +0", "lease node-1 +0",
                                "status node-1 +10s", "register node-1 +10s", "lease node-1 +10s",
                                "register node-1 +11s", "status node-1 +11s"}));
  EXPECT_TRUE(hb.Registered("node-1"));
}

TEST_F(NodeHeartbeatTest, EveryNodeHasItsOwnLoops) {
  api_.register_results = {absl::UnavailableError("apiserver down")};  // node-a's first
  NodeHeartbeat hb(&api_, &clock_, {"node-a", "node-b"}, Options());
  hb.RunDue();
  EXPECT_EQ(api_.Take(), (Calls{"register node-a +0", "register node-b +0", "status node-b +0",
                                "lease node-b +0"}));
  EXPECT_FALSE(hb.Registered("node-a"));
  EXPECT_TRUE(hb.Registered("node-b"));
  EXPECT_FALSE(hb.Registered("node-c"));
  clock_.Advance(absl::Seconds(1));
  hb.RunDue();
  EXPECT_EQ(api_.Take(), (Calls{"register node-a +1s", "status node-a +1s", "lease node-a +1s"}));
}

TEST_F(NodeHeartbeatTest, WorkerThreadsFollowTheFakeClock) {
  NodeHeartbeatOptions o = Options();
  o.workers = 2;
  NodeHeartbeat hb(&api_, &clock_, {"node-1"}, o);
  hb.Start();
  ASSERT_TRUE(api_.WaitForCalls(3));
  EXPECT_EQ(api_.Take(), (Calls{"register node-1 +0", "status node-1 +0", "lease node-1 +0"}));
  // Both workers asleep on the clock: both loops are scheduled again.
  ASSERT_TRUE(BothWorkersWaiting());
  EXPECT_EQ(hb.NextDue(), t0_ + absl::Seconds(10));
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(api_.WaitForCalls(2));
  Calls calls = api_.Take();
  std::sort(calls.begin(), calls.end());
  EXPECT_EQ(calls, (Calls{"lease node-1 +10s", "status node-1 +10s"}));
  hb.Stop();
  hb.Stop();  // idempotent
}

}  // namespace
}  // namespace minik8s::kubelet
