// Cache: the scheduler's accounting of nodes and of the pods counted on
// them, fed incrementally by the pod and node informers and by the
// scheduling loop's own decisions (assume-then-bind).
//
// Pod life cycle in the cache (Kubernetes' internal/cache):
//
//          AssumePod              FinishBinding         AddPod (informer
//   (none) ─────────▶ assumed ───────────────▶ assumed ──── shows it bound)
//                        │                        │            │
//                        └── ForgetPod ◀──────────┘            ▼
//               (bind failed: uncounted again)              bound ── RemovePod
//
// An assumed pod counts on its node from the moment the scheduling loop
// chooses the node, before the binding reaches the apiserver, so two pods
// can never over-commit a node while bindings are in flight. AddPod for an
// assumed pod confirms it (moving it if it was bound elsewhere). Pods bound
// by someone else enter straight at AddPod.
//
// A node may be known only through its pods (bound before the Node object
// arrived, or after it was deleted): such entries keep the accounting but
// are not in snapshots.
//
// Thread safety: all methods are safe from any thread (one mutex).
// UpdateSnapshot copies only what changed since the snapshot's last update.
#ifndef MINIK8S_SCHEDULER_CACHE_CACHE_H_
#define MINIK8S_SCHEDULER_CACHE_CACHE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "scheduler/cache/snapshot.h"
#include "scheduler/framework/types.h"

namespace minik8s::scheduler {

class Cache {
 public:
  void AddNode(std::shared_ptr<const Node> node);
  void UpdateNode(std::shared_ptr<const Node> node) { AddNode(std::move(node)); }
  void RemoveNode(const std::string& name);

  // Counts `pod` on `node_name` before binding. AlreadyExists if the pod is
  // already in the cache (assumed or bound).
  absl::Status AssumePod(const PodInfo& pod, const std::string& node_name);
  // The binding call returned successfully (the pod stays assumed until the
  // informer shows it bound).
  void FinishBinding(const std::string& key);
  // Uncounts an assumed pod (its binding failed). NotFound / FailedPrecondition
  // when the pod is absent / not assumed.
  absl::Status ForgetPod(const std::string& key);

  // From the informer: a pod with spec.nodeName set (confirms an assumed
  // one). Update/Add are the same operation: the pod's accounting is
  // replaced by its current one.
  void AddPod(const Pod& pod);
  void UpdatePod(const Pod& pod) { AddPod(pod); }
  void RemovePod(const std::string& key);

  bool IsAssumed(const std::string& key) const;
  // Assumed or bound.
  bool Contains(const std::string& key) const;
  size_t NumPods() const;
  size_t NumNodes() const;  // with a Node object
  // A copy of the node's accounting (tests, debugging).
  std::optional<NodeInfo> GetNodeInfo(const std::string& name) const;

  void UpdateSnapshot(Snapshot* snapshot) const;

 private:
  struct PodState {
    std::string node;
    Resources requests;
    Resources non_zero;
    std::string owner_uid;
    bool assumed = false;
    bool binding_finished = false;
    std::shared_ptr<const PodRef> ref;
  };

  void CountLocked(const PodState& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UncountLocked(const PodState& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CountAffinityLocked(const PodState& s, int delta) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TouchLocked(const std::string& node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, NodeInfo> nodes_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, PodState> pods_ ABSL_GUARDED_BY(mu_);
  // Bumped on every change; each node remembers the generation of its last
  // change, so a snapshot copies only nodes newer than itself.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, uint64_t> node_generation_ ABSL_GUARDED_BY(mu_);
  // Generation of the last change to the set of nodes with a Node object.
  uint64_t structure_generation_ ABSL_GUARDED_BY(mu_) = 0;
  // Counted pods with pod (anti-)affinity terms (Snapshot's totals).
  int pods_with_affinity_ ABSL_GUARDED_BY(mu_) = 0;
  int pods_with_required_anti_affinity_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_CACHE_CACHE_H_
