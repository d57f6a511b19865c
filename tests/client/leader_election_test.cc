#include "client/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "api/errors.h"
#include "client/resource.h"
#include "common/clock.h"
#include "common/fake_clock.h"

namespace minik8s::client {
namespace {

using minik8s::coordination::v1::Lease;

// One Lease store shared by candidates, with compare-and-swap on
// resourceVersion, and a switch that makes every call fail (server down).
class FakeLeases : public LeaseClient {
 public:
  absl::StatusOr<Lease> Get(absl::string_view ns, absl::string_view name) override {
    absl::MutexLock lock(&mu_);
    if (down_) return absl::UnavailableError("down");
    auto it = leases_.find(MakeKey(ns, name));
    if (it == leases_.end()) return api::NewNotFound("leases.coordination.k8s.io", name);
    return it->second;
  }
  absl::StatusOr<Lease> Create(const Lease& lease) override {
    absl::MutexLock lock(&mu_);
    if (down_) return absl::UnavailableError("down");
    std::string key = MakeKey(lease.metadata().namespace_(), lease.metadata().name());
    if (leases_.count(key)) {
      return api::NewAlreadyExists("leases.coordination.k8s.io", lease.metadata().name());
    }
    Lease stored = lease;
    stored.mutable_metadata()->set_resource_version(std::to_string(++rv_));
    leases_[key] = stored;
    return stored;
  }
  absl::StatusOr<Lease> Update(const Lease& lease) override {
    absl::MutexLock lock(&mu_);
    if (down_) return absl::UnavailableError("down");
    std::string key = MakeKey(lease.metadata().namespace_(), lease.metadata().name());
    auto it = leases_.find(key);
    if (it == leases_.end()) return api::NewNotFound("leases.coordination.k8s.io", key);
    if (it->second.metadata().resource_version() != lease.metadata().resource_version()) {
      return api::NewConflict("leases.coordination.k8s.io", lease.metadata().name(),
                              "the object has been modified");
    }
    Lease stored = lease;
    stored.mutable_metadata()->set_resource_version(std::to_string(++rv_));
    it->second = stored;
    return stored;
  }
  Lease Current() {
    absl::MutexLock lock(&mu_);
    return leases_.begin()->second;
  }
  void SetDown(bool down) {
    absl::MutexLock lock(&mu_);
    down_ = down;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, Lease> leases_ ABSL_GUARDED_BY(mu_);
  int64_t rv_ ABSL_GUARDED_BY(mu_) = 10;
  bool down_ ABSL_GUARDED_BY(mu_) = false;
};

struct Counters {
  std::atomic<int> started{0};
  std::atomic<int> stopped{0};
  absl::Mutex mu;
  std::vector<std::string> leaders ABSL_GUARDED_BY(mu);
};

LeaderElectionConfig Config(const std::string& id, common::Clock* clock, Counters* c) {
  LeaderElectionConfig config;
  config.lease_namespace = "kube-system";
  config.lease_name = "kube-scheduler";
  config.identity = id;
  config.clock = clock;
  config.callbacks.on_started_leading = [c] { ++c->started; };
  config.callbacks.on_stopped_leading = [c] { ++c->stopped; };
  config.callbacks.on_new_leader = [c](const std::string& who) {
    absl::MutexLock lock(&c->mu);
    c->leaders.push_back(who);
  };
  return config;
}

// Advances the fake clock in small steps until `cond` holds (or ~limit).
bool AdvanceUntil(common::FakeClock& clock, const std::function<bool()>& cond,
                  absl::Duration limit = absl::Seconds(120)) {
  for (absl::Duration spent; spent < limit; spent += absl::Milliseconds(250)) {
    if (cond()) return true;
    absl::SleepFor(absl::Milliseconds(2));
    if (cond()) return true;
    clock.Advance(absl::Milliseconds(250));
  }
  return cond();
}

TEST(LeaderElection, AcquiresAFreeLeaseAndRenews) {
  common::FakeClock clock;
  FakeLeases leases;
  Counters c;
  LeaderElector a(&leases, Config("a", &clock, &c));
  a.Start();
  ASSERT_TRUE(AdvanceUntil(clock, [&] { return a.IsLeader(); }));
  EXPECT_EQ(c.started.load(), 1);
  Lease lease = leases.Current();
  EXPECT_EQ(lease.spec().holder_identity(), "a");
  EXPECT_EQ(lease.spec().lease_duration_seconds(), 15);
  EXPECT_EQ(lease.spec().lease_transitions(), 0);
  int64_t first_renew = lease.spec().renew_time().seconds();
  ASSERT_TRUE(AdvanceUntil(
      clock, [&] { return leases.Current().spec().renew_time().seconds() >= first_renew + 4; }));
  EXPECT_TRUE(a.IsLeader());
  EXPECT_EQ(leases.Current().spec().acquire_time().seconds(),
            lease.spec().acquire_time().seconds());
  EXPECT_EQ(a.GetLeader(), "a");
  {
    absl::MutexLock lock(&c.mu);
    EXPECT_EQ(c.leaders, (std::vector<std::string>{"a"}));
  }
}

TEST(LeaderElection, TwoCandidatesExactlyOneLeads) {
  common::FakeClock clock;
  FakeLeases leases;
  Counters ca, cb;
  LeaderElector a(&leases, Config("a", &clock, &ca));
  LeaderElector b(&leases, Config("b", &clock, &cb));
  a.Start();
  b.Start();
  ASSERT_TRUE(AdvanceUntil(clock, [&] { return a.IsLeader() || b.IsLeader(); }));
  // Over a minute of renewals, leadership never splits or moves.
  bool a_leads = a.IsLeader();
  for (int i = 0; i < 240; ++i) {
    clock.Advance(absl::Milliseconds(250));
    absl::SleepFor(absl::Microseconds(500));
    ASSERT_FALSE(a.IsLeader() && b.IsLeader());
  }
  EXPECT_EQ(a.IsLeader(), a_leads);
  EXPECT_NE(a.IsLeader(), b.IsLeader());
  EXPECT_EQ(ca.started.load() + cb.started.load(), 1);
  LeaderElector& follower = a_leads ? b : a;
  EXPECT_EQ(follower.GetLeader(), a_leads ? "a" : "b");
}

TEST(LeaderElection, LeaderThatCannotRenewStepsDownAndAnotherTakesOver) {
  common::FakeClock clock;
  FakeLeases leases;
  Counters ca, cb;
  LeaderElector a(&leases, Config("a", &clock, &ca));
  a.Start();
  ASSERT_TRUE(AdvanceUntil(clock, [&] { return a.IsLeader(); }));
  // a's view of the server goes away: it must step down within the renew
  // deadline (10 s) — before the lease (15 s) can be taken by anyone.
  leases.SetDown(true);
  absl::Time down_at = clock.Now();
  ASSERT_TRUE(AdvanceUntil(clock, [&] { return !a.IsLeader(); }));
  EXPECT_LE(clock.Now() - down_at, absl::Seconds(13));
  EXPECT_EQ(ca.stopped.load(), 1);
  a.Stop();
  leases.SetDown(false);

  LeaderElector b(&leases, Config("b", &clock, &cb));
  absl::Time b_start = clock.Now();
  b.Start();
  ASSERT_TRUE(AdvanceUntil(clock, [&] { return b.IsLeader(); }));
  // b had to see the stale record unchanged for a full lease duration.
  EXPECT_GE(clock.Now() - b_start, absl::Seconds(15));
  EXPECT_EQ(leases.Current().spec().holder_identity(), "b");
  EXPECT_EQ(leases.Current().spec().lease_transitions(), 1);
}

TEST(LeaderElection, ReleaseOnStopHandsOverAtOnce) {
  common::FakeClock clock;
  FakeLeases leases;
  Counters ca, cb;
  LeaderElector a(&leases, Config("a", &clock, &ca));
  a.Start();
  ASSERT_TRUE(AdvanceUntil(clock, [&] { return a.IsLeader(); }));
  LeaderElector b(&leases, Config("b", &clock, &cb));
  b.Start();
  ASSERT_TRUE(AdvanceUntil(clock, [&] { return b.GetLeader() == "a"; }));
  EXPECT_FALSE(b.IsLeader());
  a.Stop();
  EXPECT_FALSE(a.IsLeader());
  EXPECT_EQ(ca.stopped.load(), 1);
  EXPECT_EQ(leases.Current().spec().holder_identity(), "");
  absl::Time released = clock.Now();
  ASSERT_TRUE(AdvanceUntil(clock, [&] { return b.IsLeader(); }));
  // Within a retry period or so, not a lease duration.
  EXPECT_LE(clock.Now() - released, absl::Seconds(3));
}

TEST(LeaderElection, TryAcquireRespectsAnUnexpiredHolder) {
  common::FakeClock clock;
  FakeLeases leases;
  Counters ca, cb;
  LeaderElector a(&leases, Config("a", &clock, &ca));
  LeaderElector b(&leases, Config("b", &clock, &cb));
  EXPECT_TRUE(a.TryAcquireOrRenew());
  EXPECT_FALSE(b.TryAcquireOrRenew());
  clock.Advance(absl::Seconds(14));
  EXPECT_FALSE(b.TryAcquireOrRenew());
  clock.Advance(absl::Seconds(2));
  EXPECT_TRUE(b.TryAcquireOrRenew());   // 16 s without a renewal: expired
  EXPECT_FALSE(a.TryAcquireOrRenew());  // a sees b's fresh record
  EXPECT_EQ(leases.Current().spec().holder_identity(), "b");
}

}  // namespace
}  // namespace minik8s::client
