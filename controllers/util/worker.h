// The worker half of the reconcile pattern (Kubernetes' sample-controller
// processNextWorkItem): `n` threads take keys from a WorkQueue and call
// `sync(key)`; success Forgets the key's failure history, an error re-queues
// it rate-limited (exponential per-item backoff), and Done always follows.
// An error is logged as a warning with its retry count, unless it is an
// IgnorableError (an expected state that is still retried with backoff,
// e.g. a CSR the approver recognized but may not approve yet), which is
// logged at debug level only.
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
#include "absl/strings/string_view.h"
#include "client/workqueue.h"

namespace minik8s::controllers {

using SyncFunc = std::function<absl::Status(const std::string& key)>;

// An error that re-queues the key without a warning (Kubernetes'
// IgnorableError): FailedPrecondition carrying a marker payload.
absl::Status IgnorableError(absl::string_view message);
bool IsIgnorable(const absl::Status& status);

// Takes one key, syncs it, and records the outcome; false once the queue
// has shut down. `name` prefixes the log lines ("deployment: ..."); `item`,
// when not empty, says what a key names in them ("error syncing namespace
// team-a").
bool ProcessNextWorkItem(client::WorkQueue* queue, const SyncFunc& sync, const std::string& name,
                         const std::string& item = "");

class WorkerPool {
 public:
  WorkerPool() = default;
  ~WorkerPool() { Join(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // `name` and `item` as for ProcessNextWorkItem.
  void Start(client::WorkQueue* queue, int n, SyncFunc sync, std::string name,
             std::string item = "");
  void Join();

 private:
  std::vector<std::thread> threads_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_UTIL_WORKER_H_
