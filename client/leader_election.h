// Leader election on a coordination.k8s.io/v1 Lease (client-go
// tools/leaderelection semantics), so that of several replicas of a daemon
// exactly one acts at a time.
//
// A candidate reads the Lease ns/name. It takes it when the Lease is absent,
// has no holder, or its holder has not renewed for leaseDurationSeconds as
// observed on the candidate's own clock (the candidate times from when it
// last saw the record change, so clock skew between machines does not
// matter). Taking sets holderIdentity, acquireTime, renewTime,
// leaseDurationSeconds and bumps leaseTransitions; the leader then renews
// every retry_period. Writes are compare-and-swap on resourceVersion: a
// Conflict means another candidate won the race. A leader that cannot renew
// for renew_deadline (< lease_duration) stops leading before anyone else may
// take the Lease. On a clean Stop the leader releases the Lease (holder
// cleared) so a successor takes over at once.
//
// After losing the lease the elector campaigns again; OnStartedLeading can
// therefore be called more than once, each time after an OnStoppedLeading.
// Callbacks run on the elector's thread and must return quickly (start or
// signal your own workers); OnNewLeader reports every observed change of
// holder, including to this candidate.
//
// Thread safety: Start/Stop/IsLeader/GetLeader are safe from any thread;
// Stop must not be called from a callback. The LeaseClient and common::Clock must
// outlive the elector.
#ifndef MINIK8S_CLIENT_LEADER_ELECTION_H_
#define MINIK8S_CLIENT_LEADER_ELECTION_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "common/clock.h"
#include "common/daemon.h"
#include "k8s/coordination/v1/coordination.pb.h"

namespace minik8s::client {

// The three Lease calls leader election needs (NotFound / Conflict /
// AlreadyExists errors as in errors.h).
class LeaseClient {
 public:
  virtual ~LeaseClient() = default;
  virtual absl::StatusOr<minik8s::coordination::v1::Lease> Get(absl::string_view ns,
                                                               absl::string_view name) = 0;
  virtual absl::StatusOr<minik8s::coordination::v1::Lease> Create(
      const minik8s::coordination::v1::Lease& lease) = 0;
  // Compare-and-swap on lease.metadata.resourceVersion.
  virtual absl::StatusOr<minik8s::coordination::v1::Lease> Update(
      const minik8s::coordination::v1::Lease& lease) = 0;
};

// Leases through the apiserver (`api` borrowed).
std::unique_ptr<LeaseClient> NewApiLeaseClient(ApiClient* api);

struct LeaderCallbacks {
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& identity)> on_new_leader;
};

struct LeaderElectionConfig {
  std::string lease_namespace = "kube-system";
  std::string lease_name;
  std::string identity;  // unique per candidate, e.g. hostname + "_" + random
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  bool release_on_stop = true;
  LeaderCallbacks callbacks;
  common::Clock* clock = nullptr;  // borrowed; null = real clock
};

class LeaderElector {
 public:
  LeaderElector(LeaseClient* client, LeaderElectionConfig config);
  ~LeaderElector();  // Stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Campaigns on a background thread.
  void Start();
  // Stops campaigning; a leader releases the Lease (release_on_stop) and
  // gets OnStoppedLeading before Stop returns.
  void Stop();
  bool IsLeader() const;
  // The holder last observed ("" if none).
  std::string GetLeader() const;

  // One acquire-or-renew attempt (what the thread does every retry period);
  // true when this candidate holds the Lease afterwards. For tests and for
  // callers that drive the election themselves.
  bool TryAcquireOrRenew();

 private:
  void Run();
  // Waits `d` on the clock unless stopped; true if stopped.
  bool Sleep(absl::Duration d);
  void Release();
  void Observe(const minik8s::coordination::v1::Lease& lease, absl::Time now);

  LeaseClient* const client_;
  const LeaderElectionConfig config_;
  common::Clock* const clock_;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  std::string observed_holder_ ABSL_GUARDED_BY(mu_);

  // Elector-thread state (or the TryAcquireOrRenew caller's).
  std::string observed_renew_;  // serialized renewTime + rv of the last record seen
  absl::Time observed_time_ = absl::InfinitePast();
  int32_t observed_duration_s_ = 0;

  std::thread thread_;
};

// A candidate identity unique to this process: "<hostname>_<16 hex
// digits>" (client-go's components use hostname + "_" + a UUID).
std::string NewLeaderIdentity();

// The election config Kubernetes' leader-election flags describe
// (common/daemon.h); callbacks and identity are left for the caller.
LeaderElectionConfig ConfigFromFlags(const LeaderElectionFlags& flags);

// Leader election the way a Kubernetes daemon runs it (kube-scheduler,
// kube-controller-manager): `lead` runs the first time this process
// becomes the leader, and losing the Lease afterwards is fatal — it is
// logged, lost() turns true and `on_lost` runs; by default that sends the
// process SIGTERM, so main's wait for a shutdown signal (Daemon::
// WaitForShutdown) ends and main exits non-zero, leaving a restarted
// process to rebuild its caches and campaign again. Stop() releases the
// Lease and is not a loss.
//
// Thread safety: Start/Stop from the owner thread; lost() from any thread.
// `lead` and `on_lost` run on the elector's thread and must return quickly.
class DaemonLeaderElection {
 public:
  // `leases` is borrowed and must outlive this. An empty config.identity
  // gets NewLeaderIdentity(); config.callbacks are replaced.
  DaemonLeaderElection(LeaseClient* leases, LeaderElectionConfig config, std::function<void()> lead,
                       std::function<void()> on_lost = nullptr);
  ~DaemonLeaderElection();  // Stop()
  DaemonLeaderElection(const DaemonLeaderElection&) = delete;
  DaemonLeaderElection& operator=(const DaemonLeaderElection&) = delete;

  void Start();
  // From here on a stop of leadership is not a loss: call it first in an
  // ordered shutdown that stops other parts before Stop().
  void MarkStopping() { stopping_ = true; }
  void Stop();
  bool lost() const { return lost_.load(); }
  bool IsLeader() const { return elector_->IsLeader(); }
  const std::string& identity() const { return identity_; }

 private:
  std::string identity_;
  std::string lease_;  // namespace/name, for the logs
  std::function<void()> lead_;
  std::function<void()> on_lost_;
  std::atomic<bool> led_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> lost_{false};
  std::unique_ptr<LeaderElector> elector_;
};

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_LEADER_ELECTION_H_
