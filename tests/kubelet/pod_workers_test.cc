// PodWorkers: one sync of a pod at a time, different pods in parallel,
// events coalesced while a pod syncs, requeue and retry delays on a
// FakeClock, and Stop leaving queued work undone. Threads are waited for on
// events (a condition with a real-time bound), never by sleeping.
#include "kubelet/pod_workers.h"

#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/fake_clock.h"
#include "gtest/gtest.h"

namespace minik8s::kubelet {
namespace {

// The sync function under the test's control: records each sync (key and
// fake time), can hold a key's syncs until released, and answers with a
// scripted status and requeue delay.
class Syncs {
 public:
  explicit Syncs(common::FakeClock* clock) : clock_(clock) {}

  absl::Status Sync(const std::string& key, absl::Duration* requeue_after) {
    absl::MutexLock lock(&mu_);
    if (++in_flight_[key] > 1) overlapped_ = true;
    ++running_;
    max_running_ = std::max(max_running_, running_);
    log_.push_back(absl::StrCat(key, " +", absl::FormatDuration(clock_->Now() - start_)));
    auto released = [this, key]()
                        ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !held_.contains(key); };
    mu_.Await(absl::Condition(&released));
    --in_flight_[key];
    --running_;
    absl::Status s = absl::OkStatus();
    auto it = results_.find(key);
    if (it != results_.end() && !it->second.empty()) {
      s = it->second.front();
      it->second.erase(it->second.begin());
    }
    auto rq = requeue_.find(key);
    if (rq != requeue_.end()) *requeue_after = rq->second;
    return s;
  }

  void Hold(const std::string& key) {
    absl::MutexLock lock(&mu_);
    held_.insert(key);
  }
  void Release(const std::string& key) {
    absl::MutexLock lock(&mu_);
    held_.erase(key);
  }
  void FailNext(const std::string& key, absl::Status s) {
    absl::MutexLock lock(&mu_);
    results_[key].push_back(std::move(s));
  }
  void RequeueAfter(const std::string& key, absl::Duration d) {
    absl::MutexLock lock(&mu_);
    requeue_[key] = d;
  }
  // Waits for `n` syncs to have started, and `running` to be running.
  bool WaitFor(size_t n, int running) {
    absl::MutexLock lock(&mu_);
    auto done = [this, n, running]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return log_.size() >= n && running_ == running;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(30));
  }
  std::vector<std::string> Log() {
    absl::MutexLock lock(&mu_);
    return log_;
  }
  bool overlapped() {
    absl::MutexLock lock(&mu_);
    return overlapped_;
  }
  int max_running() {
    absl::MutexLock lock(&mu_);
    return max_running_;
  }

 private:
  common::FakeClock* const clock_;
  const absl::Time start_ = clock_->Now();
  absl::Mutex mu_;
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> in_flight_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> held_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<absl::Status>> results_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Duration> requeue_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int max_running_ ABSL_GUARDED_BY(mu_) = 0;
  bool overlapped_ ABSL_GUARDED_BY(mu_) = false;
};

class PodWorkersTest : public ::testing::Test {
 protected:
  PodWorkersTest()
      : syncs_(&clock_),
        workers_([this](const std::string& key,
                        absl::Duration* requeue) { return syncs_.Sync(key, requeue); },
                 PodWorkersOptions{.threads = 4, .clock = &clock_}) {}

  // Polls (with a deadline) until `n` syncs wait for their delay.
  bool WaitingSyncs(int n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (workers_.NumWaiting() != n) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return true;
  }

  common::FakeClock clock_;
  Syncs syncs_;
  PodWorkers workers_;
};

TEST_F(PodWorkersTest, OnePodSyncsOnceAtATimeAndEventsWhileItSyncsAreKept) {
  workers_.Start();
  syncs_.Hold("default/a");
  workers_.Enqueue("default/a");
  ASSERT_TRUE(syncs_.WaitFor(1, 1));
  // Three events while it syncs: one more sync afterwards, not three, and
  // never two at once although three threads are idle.
  for (int i = 0; i < 3; ++i) workers_.Enqueue("default/a");
  syncs_.Release("default/a");
  ASSERT_TRUE(syncs_.WaitFor(2, 0));
  EXPECT_EQ(syncs_.Log(), (std::vector<std::string>{"default/a +0", "default/a +0"}));
  EXPECT_FALSE(syncs_.overlapped());
}

TEST_F(PodWorkersTest, DifferentPodsSyncInParallel) {
  workers_.Start();
  syncs_.Hold("default/a");
  syncs_.Hold("default/b");
  workers_.Enqueue("default/a");
  workers_.Enqueue("default/b");
  ASSERT_TRUE(syncs_.WaitFor(2, 2));  // both at once
  syncs_.Release("default/a");
  syncs_.Release("default/b");
  ASSERT_TRUE(syncs_.WaitFor(2, 0));
  EXPECT_EQ(syncs_.max_running(), 2);
}

TEST_F(PodWorkersTest, ARequestedRequeueHappensOnTheClock) {
  syncs_.RequeueAfter("default/a", absl::Seconds(5));
  workers_.Start();
  workers_.Enqueue("default/a");
  ASSERT_TRUE(syncs_.WaitFor(1, 0));
  ASSERT_TRUE(WaitingSyncs(1));
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(syncs_.WaitFor(2, 0));
  EXPECT_EQ(syncs_.Log(), (std::vector<std::string>{"default/a +0", "default/a +5s"}));
}

TEST_F(PodWorkersTest, AFailedSyncIsRetriedAfterASecond) {
  syncs_.FailNext("default/a", absl::UnavailableError("apiserver down"));
  workers_.Start();
  workers_.Enqueue("default/a");
  ASSERT_TRUE(syncs_.WaitFor(1, 0));
  ASSERT_TRUE(WaitingSyncs(1));
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(syncs_.WaitFor(2, 0));
  EXPECT_EQ(syncs_.Log(), (std::vector<std::string>{"default/a +0", "default/a +1s"}));
  // Succeeded, no requeue asked: nothing waits.
  EXPECT_TRUE(WaitingSyncs(0));
}

TEST_F(PodWorkersTest, StopLeavesQueuedSyncsUndone) {
  PodWorkers one(
      [this](const std::string& key, absl::Duration* requeue) { return syncs_.Sync(key, requeue); },
      PodWorkersOptions{.threads = 1, .clock = &clock_});
  one.Start();
  syncs_.Hold("default/a");
  one.Enqueue("default/a");
  ASSERT_TRUE(syncs_.WaitFor(1, 1));
  one.Enqueue("default/b");  // queued behind a
  std::thread stopper([&] { one.Stop(); });
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!one.Stopping() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_TRUE(one.Stopping());
  syncs_.Release("default/a");  // the running sync finishes
  stopper.join();
  EXPECT_EQ(syncs_.Log(), (std::vector<std::string>{"default/a +0"}));
}

TEST_F(PodWorkersTest, KeepsEachPodsState) {
  EXPECT_EQ(workers_.Find("default/a"), nullptr);
  auto w = std::make_unique<PodWorker>(absl::Seconds(10), absl::Minutes(5), absl::Seconds(10),
                                       absl::Minutes(5));
  w->uid = "uid-a";
  PodWorker* a = workers_.Put("default/a", std::move(w));
  EXPECT_EQ(workers_.Find("default/a"), a);
  EXPECT_EQ(a->uid, "uid-a");
  workers_.Put("default/b", std::make_unique<PodWorker>(absl::Seconds(10), absl::Minutes(5),
                                                        absl::Seconds(10), absl::Minutes(5)));
  EXPECT_EQ(workers_.Size(), 2);
  std::vector<std::string> keys = workers_.Keys();
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"default/a", "default/b"}));
  workers_.Remove("default/a");
  workers_.Remove("default/missing");
  EXPECT_EQ(workers_.Find("default/a"), nullptr);
  EXPECT_EQ(workers_.Size(), 1);
}

}  // namespace
}  // namespace minik8s::kubelet
