// The client library's metrics (client-go's names) and the daemon leader
// election: workqueue_* per named queue on a fake clock,
// rest_client_requests_total for a call that got no answer, and
// DaemonLeaderElection's lead-once / lost-lease / clean-stop contract.
#include <atomic>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "client/api_client.h"
#include "client/leader_election.h"
#include "client/workqueue.h"
#include "common/clock.h"
#include "common/fake_clock.h"
#include "common/metrics.h"
#include "gtest/gtest.h"
#include "testing/wait.h"
#include "tests/common/prometheus_text.h"

namespace minik8s::client {
namespace {

using coordination::v1::Lease;

testing::Exposition Scrape() {
  absl::StatusOr<testing::Exposition> e =
      testing::ParsePrometheusText(metrics::Registry::Default().Expose());
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *e : testing::Exposition{};
}

TEST(WorkQueueMetrics, CountsAddsDepthQueueAndWorkTimeAndRetries) {
  common::FakeClock clock;
  const std::map<std::string, std::string> q = {{"name", "metrics-test"}};
  {
    WorkQueue queue({.name = "metrics-test", .clock = &clock});
    queue.Add("a");
    queue.Add("b");
    queue.Add("a");  // already queued: not an add
    testing::Exposition e = Scrape();
    EXPECT_EQ(e.types.at("workqueue_depth"), "gauge");
    EXPECT_EQ(e.types.at("workqueue_adds_total"), "counter");
    EXPECT_EQ(e.types.at("workqueue_queue_duration_seconds"), "histogram");
    EXPECT_EQ(e.Sum("workqueue_adds_total", q), 2);
    EXPECT_EQ(e.Sum("workqueue_depth", q), 2);

    clock.Advance(absl::Seconds(2));
    std::string item;
    ASSERT_TRUE(queue.Get(&item));
    EXPECT_EQ(item, "a");
    clock.Advance(absl::Milliseconds(500));
    queue.Done(item);
    queue.AddRateLimited("c");
    e = Scrape();
    EXPECT_EQ(e.Sum("workqueue_depth", q), 1);
    EXPECT_EQ(e.Sum("workqueue_queue_duration_seconds_count", q), 1);
    EXPECT_DOUBLE_EQ(e.Sum("workqueue_queue_duration_seconds_sum", q), 2);
    EXPECT_EQ(
        e.Sum("workqueue_queue_duration_seconds_bucket", {{"name", "metrics-test"}, {"le", "1"}}),
        0);
    EXPECT_EQ(
        e.Sum("workqueue_queue_duration_seconds_bucket", {{"name", "metrics-test"}, {"le", "10"}}),
        1);
    EXPECT_DOUBLE_EQ(e.Sum("workqueue_work_duration_seconds_sum", q), 0.5);
    EXPECT_EQ(e.Sum("workqueue_retries_total", q), 1);
  }
  // A destroyed queue takes its depth with it.
  EXPECT_EQ(Scrape().Sum("workqueue_depth", q), 0);
  // Unnamed queues are not counted.
  WorkQueue unnamed({.clock = &clock});
  unnamed.Add("x");
  EXPECT_EQ(Scrape().Sum("workqueue_adds_total", {{"name", ""}}), -1);
}

TEST(RestClientMetrics, ACallWithoutAnAnswerCountsAsError) {
  auto api = ApiClient::Connect({.server = "127.0.0.1:1", .timeout = absl::Seconds(2)});
  ASSERT_TRUE(api.ok()) << api.status();
  Lease out;
  EXPECT_FALSE((*api)->Get("leases", "default", "x", &out).ok());
  testing::Exposition e = Scrape();
  EXPECT_EQ(e.types.at("rest_client_requests_total"), "counter");
  EXPECT_EQ(e.Sum("rest_client_requests_total",
                  {{"code", "<error>"}, {"method", "GET"}, {"host", "127.0.0.1:1"}}),
            1);
}

// One Lease with compare-and-swap, and a switch that makes every call fail.
class FakeLeases : public LeaseClient {
 public:
  absl::StatusOr<Lease> Get(absl::string_view, absl::string_view name) override {
    absl::MutexLock lock(&mu_);
    if (down_) return absl::UnavailableError("down");
    if (!exists_) return api::NewNotFound("leases.coordination.k8s.io", name);
    return lease_;
  }
  absl::StatusOr<Lease> Create(const Lease& lease) override {
    absl::MutexLock lock(&mu_);
    if (down_) return absl::UnavailableError("down");
    if (exists_)
      return api::NewAlreadyExists("leases.coordination.k8s.io", lease.metadata().name());
    return Store(lease);
  }
  absl::StatusOr<Lease> Update(const Lease& lease) override {
    absl::MutexLock lock(&mu_);
    if (down_) return absl::UnavailableError("down");
    if (lease_.metadata().resource_version() != lease.metadata().resource_version()) {
      return api::NewConflict("leases.coordination.k8s.io", lease.metadata().name(), "modified");
    }
    return Store(lease);
  }
  void SetDown(bool down) {
    absl::MutexLock lock(&mu_);
    down_ = down;
  }
  std::string Holder() {
    absl::MutexLock lock(&mu_);
    return lease_.spec().holder_identity();
  }

 private:
  Lease Store(const Lease& lease) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    lease_ = lease;
    lease_.mutable_metadata()->set_resource_version(std::to_string(++rv_));
    exists_ = true;
    return lease_;
  }
  absl::Mutex mu_;
  Lease lease_ ABSL_GUARDED_BY(mu_);
  bool exists_ ABSL_GUARDED_BY(mu_) = false;
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  int64_t rv_ ABSL_GUARDED_BY(mu_) = 1;
};

LeaderElectionConfig ShortConfig() {
  LeaderElectionFlags flags{.lease_duration = absl::Seconds(2),
                            .renew_deadline = absl::Milliseconds(600),
                            .retry_period = absl::Milliseconds(100),
                            .resource_name = "test"};
  return ConfigFromFlags(flags);
}

TEST(DaemonLeaderElection, LeadsOnceAndALostLeaseIsFatal) {
  FakeLeases leases;
  std::atomic<int> led{0}, lost{0};
  DaemonLeaderElection election(
      &leases, ShortConfig(), [&] { ++led; }, [&] { ++lost; });
  EXPECT_FALSE(election.identity().empty());
  EXPECT_NE(election.identity(), NewLeaderIdentity());  // unique per candidate
  election.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return led.load() == 1; }, absl::Seconds(10)));
  EXPECT_EQ(leases.Holder(), election.identity());
  leases.SetDown(true);  // renewals fail until the renew deadline passes
  ASSERT_TRUE(testing::WaitFor([&] { return lost.load() == 1; }, absl::Seconds(10)));
  EXPECT_TRUE(election.lost());
  leases.SetDown(false);
  election.Stop();
  EXPECT_EQ(led.load(), 1);
  EXPECT_EQ(lost.load(), 1);
}

TEST(DaemonLeaderElection, AStopReleasesTheLeaseAndIsNoLoss) {
  FakeLeases leases;
  std::atomic<int> led{0}, lost{0};
  DaemonLeaderElection election(
      &leases, ShortConfig(), [&] { ++led; }, [&] { ++lost; });
  election.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return led.load() == 1; }, absl::Seconds(10)));
  election.MarkStopping();
  election.Stop();
  EXPECT_EQ(lost.load(), 0);
  EXPECT_FALSE(election.lost());
  EXPECT_EQ(leases.Holder(), "");
}

}  // namespace
}  // namespace minik8s::client
