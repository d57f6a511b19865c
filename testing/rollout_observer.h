// Watches the pods and ReplicaSets a Deployment selects during a rollout and
// checks, on every change seen, the two bounds Kubernetes keeps:
//   - maxSurge: the ReplicaSets' spec.replicas add up to at most
//     replicas + maxSurge. The bound is on the ReplicaSets, as upstream's own
//     e2e check (test/utils/deployment.go) asserts it: when an old
//     ReplicaSet is scaled down its pods live until its controller deletes
//     them, and the Deployment may already have grown the new one into that
//     room, so live pods may briefly exceed it. Their maximum is recorded,
//     for failure messages;
//   - maxUnavailable: at least replicas − maxUnavailable live (not
//     terminating) pods are Ready. Old pods go only once new ones count as
//     available, so this holds pod by pod.
//
// Thread safety: the accessors may be called from any thread while the two
// watch threads run; Start and Stop from the owner only.
#ifndef MINIK8S_TESTING_ROLLOUT_OBSERVER_H_
#define MINIK8S_TESTING_ROLLOUT_OBSERVER_H_

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "client/clientset.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::testing {

class RolloutObserver {
 public:
  // Pods and ReplicaSets in `ns` matching the label selector `selector`
  // (e.g. "app=web"). A bound of 0 is not checked until SetBounds.
  RolloutObserver(client::Clientset* cs, std::string ns, std::string selector, int max_replicas = 0,
                  int min_ready = 0);
  ~RolloutObserver();
  RolloutObserver(const RolloutObserver&) = delete;
  RolloutObserver& operator=(const RolloutObserver&) = delete;

  // Lists both kinds (the listed state counts as one change), then watches
  // them from the lists' resource versions.
  absl::Status Start();
  // Cancels the watches and joins their threads; the figures stay readable.
  void Stop();

  void SetBounds(int max_replicas, int min_ready);
  // Starts a new phase: clears the extremes, keeping what is live.
  void Reset();

  // Since Start or the last Reset: the largest sum of the ReplicaSets'
  // spec.replicas, the most live pods, the fewest Ready live pods.
  int max_replicas_seen();
  int max_live_pods_seen();
  int min_ready_seen();
  // Pod events the watch delivered (bookmarks aside).
  int pod_events();
  // One line per change that broke a bound.
  std::vector<std::string> violations();

 private:
  void ApplyPod(const core::v1::Pod& pod, bool deleted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyReplicaSet(const apps::v1::ReplicaSet& rs, bool deleted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CheckPods(const std::string& after) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CheckReplicaSets(const std::string& after) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  client::Clientset* const cs_;
  const std::string ns_;
  const std::string selector_;
  std::unique_ptr<client::WatchStream> pod_watch_;
  std::unique_ptr<client::WatchStream> rs_watch_;
  std::thread pod_thread_;
  std::thread rs_thread_;
  absl::Mutex mu_;
  std::map<std::string, bool> live_ ABSL_GUARDED_BY(mu_);     // pod → Ready
  std::map<std::string, int> replicas_ ABSL_GUARDED_BY(mu_);  // ReplicaSet → spec.replicas
  int max_replicas_ ABSL_GUARDED_BY(mu_) = 0;
  int min_ready_ ABSL_GUARDED_BY(mu_) = 0;
  int max_replicas_seen_ ABSL_GUARDED_BY(mu_) = 0;
  int max_live_ ABSL_GUARDED_BY(mu_) = 0;
  int min_ready_seen_ ABSL_GUARDED_BY(mu_) = 1 << 30;
  int pod_events_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> violations_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_ROLLOUT_OBSERVER_H_
