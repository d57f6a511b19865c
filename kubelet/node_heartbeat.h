// NodeHeartbeat: the kubelet's node heartbeats, on the kubelet's Clock —
// for each node it runs, the two loops of Kubernetes' kubelet:
//   - node status ("status/<node>"): registers the Node until that
//     succeeds (retrying every register_retry), then syncs its status every
//     node_status_update_frequency (whether a sync writes is NodeApi's
//     business: only on change, or every report frequency). A Node found
//     deleted (SyncNodeStatus says NotFound) is registered again at once;
//   - lease ("lease/<node>"): starts once the Node is registered (the
//     Lease is owned by it), then renews every node_lease_renew_interval,
//     retrying after lease_retry (at most the interval) when a renewal
//     fails, like the kubelet's lease controller.
// A failure is logged and retried on schedule; it never stops a loop.
//
// The apiserver side is behind NodeApi (the Kubelet implements it, tests
// fake it). Start() runs `workers` threads that wait on the clock for the
// next due heartbeat; one heartbeat is never run by two threads at once,
// the two loops of one node may run in parallel. Heartbeats due at the same
// time run in the order they were scheduled. RunDue() runs what is due
// in the calling thread instead, so a test drives the schedule on a
// FakeClock with no threads and no sleeping.
//
// Thread safety: every method is safe from any thread; Start/Stop from one.
// NodeApi and the clock must outlive the NodeHeartbeat.
#ifndef MINIK8S_KUBELET_NODE_HEARTBEAT_H_
#define MINIK8S_KUBELET_NODE_HEARTBEAT_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace minik8s::kubelet {

// The apiserver calls of the heartbeats, by node name. Calls for one node
// are serialised per loop (status, lease), the two loops may overlap.
class NodeApi {
 public:
  virtual ~NodeApi() = default;
  // Creates the Node, or brings an existing one our labels, taints, CIDR.
  virtual absl::Status RegisterNode(const std::string& node) = 0;
  // Writes the node's status when it changed or is due for a report.
  // NotFound: the Node is gone (it will be registered again).
  virtual absl::Status SyncNodeStatus(const std::string& node) = 0;
  // Creates or renews the node's Lease.
  virtual absl::Status RenewLease(const std::string& node) = 0;
};

struct NodeHeartbeatOptions {
  absl::Duration node_status_update_frequency = absl::Seconds(10);
  absl::Duration node_lease_renew_interval = absl::Seconds(10);
  // Until the Node is registered.
  absl::Duration register_retry = absl::Seconds(1);
  // After a failed renewal (capped at node_lease_renew_interval).
  absl::Duration lease_retry = absl::Milliseconds(500);
  int workers = 2;  // Start()'s threads (at least 1)
};

class NodeHeartbeat {
 public:
  NodeHeartbeat(NodeApi* api, common::Clock* clock, std::vector<std::string> nodes,
                NodeHeartbeatOptions options);
  ~NodeHeartbeat();  // Stop()
  NodeHeartbeat(const NodeHeartbeat&) = delete;
  NodeHeartbeat& operator=(const NodeHeartbeat&) = delete;

  // Starts the worker threads (every node's status loop is due at once).
  void Start();
  // Stops the threads (after the calls in flight return). Idempotent.
  void Stop();

  // Runs, in the calling thread, every heartbeat due by the clock's time
  // (including ones that fall due while it runs); returns when the next one
  // is due (InfiniteFuture: none scheduled).
  absl::Time RunDue();
  // When the next heartbeat is due.
  absl::Time NextDue() const;
  // Whether the last status loop run found the node registered.
  bool Registered(const std::string& node) const;

 private:
  struct Node {
    bool registered = false;
    bool lease_started = false;
  };
  static constexpr char kStatus[] = "status/";
  static constexpr char kLease[] = "lease/";

  void WorkerLoop();
  // Pops a due key (it is "in flight" until Run reschedules it), or returns
  // "" and sets `*next` to the next due time.
  std::string TakeDueLocked(absl::Time now, absl::Time* next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleLocked(const std::string& key, absl::Time when) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs one heartbeat and schedules its next run.
  void Run(const std::string& key);
  void RunStatus(const std::string& node);
  void RunLease(const std::string& node);

  NodeApi* const api_;
  common::Clock* const clock_;
  const NodeHeartbeatOptions options_;

  mutable absl::Mutex mu_;
  std::map<std::string, Node> nodes_ ABSL_GUARDED_BY(mu_);
  // Idle heartbeats by due time, then scheduling order; one in flight is
  // absent.
  std::set<std::tuple<absl::Time, uint64_t, std::string>> due_ ABSL_GUARDED_BY(mu_);
  uint64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
  // Bumped on every schedule change, so sleeping workers look again.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_NODE_HEARTBEAT_H_
