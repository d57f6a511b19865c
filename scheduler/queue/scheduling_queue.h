// SchedulingQueue: the pods waiting to be scheduled (Kubernetes'
// internal/queue PriorityQueue), in three parts:
//
//   active         ready now; popped by priority (spec.priority, higher
//                  first), then creation time, then arrival order;
//   backoff        failed recently; each pod waits initial_backoff doubled
//                  per attempt up to max_backoff (1 s, 2 s, 4 s, 8 s, 10 s)
//                  after its last failure, then moves to active;
//   unschedulable  fit nowhere; they wait for a cluster change
//                  (MoveAllToActiveOrBackoffQueue on node added/updated, pod
//                  deleted ...) or at most unschedulable_timeout, then move
//                  to backoff (still backing off) or active.
//
// A popped pod is "in flight" until Done() (scheduled) or
// AddUnschedulableIfNotPresent() (failed). Updates to an in-flight pod are
// remembered and do not re-queue it (no pod is scheduled twice at once); a
// failed pod that was updated or saw a cluster change while in flight goes
// to backoff instead of unschedulable, so the change is not missed
// (Kubernetes' moveRequestCycle).
//
// Time comes from the Clock (a FakeClock in tests); Pop() moves due pods
// itself, so no extra thread is needed.
//
// Thread safety: all methods are safe from any thread. Pop() blocks until a
// pod is ready or Close() is called.
#ifndef MINIK8S_SCHEDULER_QUEUE_SCHEDULING_QUEUE_H_
#define MINIK8S_SCHEDULER_QUEUE_SCHEDULING_QUEUE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/fake_clock.h"
#include "scheduler/framework/types.h"

namespace minik8s::scheduler {

// Whether `pod` has a required podAffinity term or a DoNotSchedule topology
// spread constraint: what a newly placed pod can satisfy.
bool HasInterPodRequirements(const Pod& pod);

struct QueuedPodInfo {
  std::shared_ptr<const Pod> pod;
  std::string key;
  int attempts = 0;            // times popped
  absl::Time timestamp;        // last (re)queue or failure
  absl::Time initial_attempt;  // first pop
};

struct SchedulingQueueOptions {
  common::Clock* clock = nullptr;  // borrowed; null = real clock
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(10);
  absl::Duration unschedulable_timeout = absl::Seconds(60);
};

class SchedulingQueue {
 public:
  explicit SchedulingQueue(SchedulingQueueOptions options = {});

  // A new pending pod (to active unless already queued or in flight).
  void Add(std::shared_ptr<const Pod> pod);
  // The pod object changed. Spec/label/annotation changes of an
  // unschedulable pod move it to backoff/active; status-only changes (e.g.
  // our own PodScheduled condition) just refresh the stored object.
  void Update(const std::shared_ptr<const Pod>& old_pod, std::shared_ptr<const Pod> new_pod);
  void Delete(const std::string& key);

  // Blocks until a pod is active (moving due backoff / timed-out
  // unschedulable pods first). nullopt once closed.
  std::optional<QueuedPodInfo> Pop();
  // The popped pod was scheduled (assumed); it is no longer in flight.
  void Done(const std::string& key);
  // The popped pod failed in cycle `pod_cycle` (SchedulingCycle() when it
  // was popped). `error`: it failed for a reason other than "fits nowhere"
  // (e.g. the binding failed) and goes to backoff. Ignored if the pod is
  // already queued or was deleted meanwhile.
  void AddUnschedulableIfNotPresent(QueuedPodInfo info, int64_t pod_cycle, bool error = false);
  // A cluster event that may make unschedulable pods fit (`event` for logs).
  void MoveAllToActiveOrBackoffQueue(std::string_view event);
  // A pod was bound or changed labels on its node: only pods whose fit
  // depends on other pods (HasInterPodRequirements) may fit now, as
  // Kubernetes' queueing hints for InterPodAffinity and PodTopologySpread
  // say. Such a pod that is being scheduled meanwhile and fails goes to
  // backoff, not unschedulable.
  void MoveInterPodToActiveOrBackoffQueue(std::string_view event);

  int64_t SchedulingCycle() const;
  void Close();

  // Moves due pods; Pop() calls these, tests may too.
  void FlushBackoffCompleted();
  void FlushUnschedulableLeftover();

  // The backoff a pod with `attempts` attempts waits after a failure.
  absl::Duration BackoffDuration(int attempts) const;

  size_t NumActive() const;
  size_t NumBackoff() const;
  size_t NumUnschedulable() const;
  size_t NumInFlight() const;

 private:
  struct ActiveKey {
    int32_t priority;
    absl::Time created;
    uint64_t seq;
    std::string key;
    bool operator<(const ActiveKey& o) const {
      if (priority != o.priority) return priority > o.priority;
      if (created != o.created) return created < o.created;
      return seq < o.seq;
    }
  };
  struct Entry {
    QueuedPodInfo info;
    enum Where { kActive, kBackoff, kUnschedulable } where;
    ActiveKey active_key;       // valid when kActive
    absl::Time backoff_expiry;  // valid when kBackoff
  };
  struct InFlight {
    std::shared_ptr<const Pod> latest;  // newest object seen while in flight
    bool updated = false;
    bool deleted = false;
  };

  void ToActiveLocked(QueuedPodInfo info) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ToBackoffLocked(QueuedPodInfo info) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ToUnschedulableLocked(QueuedPodInfo info) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveLocked(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MoveToActiveOrBackoffLocked(QueuedPodInfo info) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Time BackoffExpiryLocked(const QueuedPodInfo& info) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Time NextWakeupLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SchedulingQueueOptions options_;
  common::Clock* const clock_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::set<ActiveKey> active_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<absl::Time, std::string>> backoff_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<absl::Time, std::string>> unschedulable_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, InFlight> in_flight_ ABSL_GUARDED_BY(mu_);
  uint64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t scheduling_cycle_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t move_request_cycle_ ABSL_GUARDED_BY(mu_) = -1;
  // As move_request_cycle_, for MoveInterPodToActiveOrBackoffQueue.
  int64_t inter_pod_move_request_cycle_ ABSL_GUARDED_BY(mu_) = -1;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Whether a pod update matters for scheduling: anything but status and
// resourceVersion/generation changed (Kubernetes' isPodUpdated).
bool PodSpecOrMetadataChanged(const Pod& old_pod, const Pod& new_pod);

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_QUEUE_SCHEDULING_QUEUE_H_
