// The worker half of the reconcile pattern: `n` threads take keys from a
// WorkQueue and call `sync(key)`; success Forgets the key's failure
// history, an error re-queues it rate-limited (exponential per-item backoff),
// and Done always follows.
//
// Thread safety: `sync` runs on up to `n` threads at once (never two on the
// same key: the work queue guarantees it). Workers end when the queue is
// shut down; Join() waits for them. The queue must outlive the pool.
#ifndef MINIK8S_CONTROLLERS_UTIL_WORKER_H_
#define MINIK8S_CONTROLLERS_UTIL_WORKER_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "client/workqueue.h"

namespace minik8s::controllers {

using SyncFunc = std::function<absl::Status(const std::string& key)>;

// Takes one key, syncs it, and records the outcome; false once the queue
// has shut down.
bool ProcessNextWorkItem(client::WorkQueue* queue, const SyncFunc& sync, const std::string& name);

class WorkerPool {
 public:
  WorkerPool() = default;
  ~WorkerPool() { Join(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Start(client::WorkQueue* queue, int n, SyncFunc sync, std::string name);
  void Join();

 private:
  std::vector<std::thread> threads_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_UTIL_WORKER_H_
