// Scheduler: the scheduling loop and what feeds it. Informer handlers
// (OnPod*/OnNode*) update the Cache and the SchedulingQueue; the loop pops
// one pod at a time, runs the Algorithm over a fresh Snapshot and either
//   - assumes the pod on the chosen node (counted at once) and hands the
//     binding to the BinderPool; when the binding returns the pod is
//     confirmed (event Scheduled "Successfully assigned ns/name to node") or
//     forgotten and retried with backoff; or
//   - records FailedScheduling with the "0/N nodes are available: ..."
//     message, sets PodScheduled=False (reason Unschedulable) and parks the
//     pod as unschedulable until the cluster changes.
//
// Which pods: unassigned ones with spec.schedulerName == options.scheduler_name
// are scheduled; assigned ones (spec.nodeName set) count in the cache unless
// they are terminal (Succeeded/Failed); other schedulers' pods are ignored.
//
// Thread safety: handlers may be called from any thread (informer dispatch
// threads). ScheduleOne() is called by one thread at a time (Run()'s loop, or
// a test). Stop() closes the queue, joins the loop and drains the binders.
// The ApiWriter must outlive the Scheduler.
#ifndef MINIK8S_SCHEDULER_SCHEDULER_H_
#define MINIK8S_SCHEDULER_SCHEDULER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "scheduler/api_writer.h"
#include "scheduler/binder_pool.h"
#include "scheduler/cache/cache.h"
#include "scheduler/framework/framework.h"
#include "scheduler/framework/parallelizer.h"
#include "scheduler/queue/scheduling_queue.h"
#include "scheduler/schedule_one.h"

namespace minik8s::scheduler {

inline constexpr char kDefaultSchedulerName[] = "default-scheduler";

struct SchedulerOptions {
  std::string scheduler_name = kDefaultSchedulerName;
  int percentage_of_nodes_to_score = 0;  // 0 = adaptive
  int parallelism = 16;                  // filter/score threads
  int bind_workers = 32;                 // concurrent API writes
  Profile profile;
  SchedulingQueueOptions queue;
  uint64_t seed = 0;  // 0 = random
};

struct SchedulerStats {
  int64_t attempts = 0;
  int64_t scheduled = 0;      // bindings that succeeded
  int64_t unschedulable = 0;  // attempts that found no node
  int64_t bind_errors = 0;
};

class Scheduler {
 public:
  static absl::StatusOr<std::unique_ptr<Scheduler>> Create(ApiWriter* writer,
                                                           SchedulerOptions options);
  ~Scheduler();

  // Informer event handlers.
  void OnPodAdd(const std::shared_ptr<const Pod>& pod);
  void OnPodUpdate(const std::shared_ptr<const Pod>& old_pod,
                   const std::shared_ptr<const Pod>& new_pod);
  void OnPodDelete(const std::shared_ptr<const Pod>& pod);
  void OnNodeAdd(const std::shared_ptr<const Node>& node);
  void OnNodeUpdate(const std::shared_ptr<const Node>& old_node,
                    const std::shared_ptr<const Node>& new_node);
  void OnNodeDelete(const std::shared_ptr<const Node>& node);

  // Pops one pod (blocking) and schedules it; false once the queue is closed.
  bool ScheduleOne();
  // Starts the loop thread.
  void Run();
  void Stop();
  // Waits until queued API writes have finished (tests).
  void DrainBinders() { binders_.Drain(); }

  Cache& cache() { return cache_; }
  SchedulingQueue& queue() { return queue_; }
  SchedulerStats stats() const;

 private:
  Scheduler(ApiWriter* writer, SchedulerOptions options, std::unique_ptr<Framework> framework);

  bool Responsible(const Pod& pod) const {
    return pod.spec().scheduler_name() == options_.scheduler_name;
  }
  void HandleFailure(QueuedPodInfo info, int64_t cycle, const std::string& message);
  // `start`: when the attempt took the pod off the queue (for its duration metric).
  void Bind(QueuedPodInfo info, PodInfo pod_info, std::string node, int64_t cycle,
            absl::Time start);

  ApiWriter* const writer_;
  const SchedulerOptions options_;
  std::unique_ptr<Framework> framework_;
  Parallelizer parallelizer_;
  Cache cache_;
  SchedulingQueue queue_;
  Algorithm algorithm_;
  Snapshot snapshot_;  // loop thread only
  BinderPool binders_;

  std::atomic<int64_t> attempts_{0}, scheduled_{0}, unschedulable_{0}, bind_errors_{0};
  std::thread loop_;
  std::atomic<bool> stopped_{false};
};

// Whether a node update may let unschedulable pods fit (spec, labels,
// allocatable or conditions changed; heartbeats alone do not).
bool NodeSchedulingPropertiesChanged(const Node& old_node, const Node& new_node);
// The PodScheduled=False/Unschedulable condition applied to a copy of `pod`;
// nullopt when the pod already carries exactly that condition.
std::optional<Pod> PodWithUnschedulableCondition(const Pod& pod, const std::string& message);

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_SCHEDULER_H_
