// WorkQueue: the controller work queue (client-go util/workqueue contract),
// holding string items (object keys "namespace/name").
//
//   Add(item)   Queues the item unless it is already queued (dirty). If the
//               item is being processed (handed out by Get, not yet Done),
//               it is remembered and queued again when Done is called, so one
//               item is never processed by two workers at once and no change
//               is lost.
//   Get(&item)  Blocks for the next item; returns false once the queue is
//               shut down and empty. The caller must call Done(item).
//   Done(item)  Ends processing; re-queues the item if it was added meanwhile.
//   AddAfter(item, d)     Adds the item once `d` has passed on the clock (one
//               timer thread per queue). A pending item keeps the earlier of
//               its ready times.
//   AddRateLimited(item)  AddAfter(item, rate_limiter->When(item)).
//   Forget(item)          Clears the item's failure history.
//   NumRequeues(item)     Failures since the last Forget.
//   ShutDown()            Further Adds are ignored; Get returns false once the
//               queue is empty; pending delayed adds are dropped.
//   ShutDownWithDrain()   ShutDown, then wait until every item handed out by
//               Get has been Done.
//
// Typical worker (kubernetes/sample-controller):
//   std::string key;
//   while (queue.Get(&key)) {
//     absl::Status s = Sync(key);
//     if (s.ok()) queue.Forget(key); else queue.AddRateLimited(key);
//     queue.Done(key);
//   }
//
// Thread safety: every method is safe from any thread. The common::Clock and the
// RateLimiter are owned by the options / queue as documented below.
#ifndef MINIK8S_CLIENT_WORKQUEUE_H_
#define MINIK8S_CLIENT_WORKQUEUE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/rate_limiter.h"
#include "common/clock.h"
#include "common/metrics.h"

namespace minik8s::client {

// Metrics: a queue with a name is counted in metrics::Registry::Default()
// under client-go's names, labelled name=<queue>: workqueue_depth,
// workqueue_adds_total, workqueue_queue_duration_seconds (Add to Get),
// workqueue_work_duration_seconds (Get to Done) and workqueue_retries_total
// (AddRateLimited). Queues sharing a name add up. Times come from the
// queue's clock.
struct WorkQueueOptions {
  std::string name;  // for logs and the metrics' name label; "" = no metrics
  // Borrowed; must outlive the queue. Defaults to the real clock.
  common::Clock* clock = nullptr;
  // Owned by the queue; null = DefaultControllerRateLimiter(clock).
  std::unique_ptr<RateLimiter> rate_limiter;
};

class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options = {});
  ~WorkQueue();  // shuts down and joins the timer thread
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& item);
  bool Get(std::string* item);
  void Done(const std::string& item);
  void AddAfter(const std::string& item, absl::Duration delay);
  void AddRateLimited(const std::string& item);
  void Forget(const std::string& item);
  int NumRequeues(const std::string& item);
  void ShutDown();
  void ShutDownWithDrain();
  bool ShuttingDown() const;
  // Items queued and ready for Get (not counting delayed or in-process ones).
  int Len() const;
  // Items waiting for their AddAfter delay.
  int NumWaiting() const;

 private:
  struct Waiting {
    absl::Time ready_at;
    uint64_t seq;  // FIFO among equal ready times
    std::string item;
    bool operator>(const Waiting& o) const {
      return ready_at != o.ready_at ? ready_at > o.ready_at : seq > o.seq;
    }
  };

  void AddLocked(const std::string& item) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends to queue_ (counting depth and the add time).
  void PushLocked(const std::string& item) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TimerLoop();

  // This queue's series (null for an unnamed queue).
  struct Metrics {
    metrics::Gauge* depth;
    metrics::Counter* adds;
    metrics::Histogram* queue_duration;
    metrics::Histogram* work_duration;
    metrics::Counter* retries;
  };
  static std::optional<Metrics> MetricsFor(const std::string& name);

  const std::string name_;
  common::Clock* const clock_;
  const std::optional<Metrics> metrics_;
  const std::unique_ptr<RateLimiter> rate_limiter_;

  mutable absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> dirty_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> processing_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  // Delayed adds: a min-heap on ready time, and each item's current ready
  // time (heap entries whose time differs are stale and skipped).
  std::priority_queue<Waiting, std::vector<Waiting>, std::greater<Waiting>> waiting_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::Time> waiting_ready_ ABSL_GUARDED_BY(mu_);
  uint64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t waiting_generation_ ABSL_GUARDED_BY(mu_) = 0;
  // When each queued item was added, and each processing one handed out
  // (only kept with metrics).
  absl::flat_hash_map<std::string, absl::Time> added_at_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::Time> started_at_ ABSL_GUARDED_BY(mu_);

  std::thread timer_;
};

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_WORKQUEUE_H_
