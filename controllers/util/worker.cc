#include "controllers/util/worker.h"

#include "spdlog/spdlog.h"

namespace minik8s::controllers {

bool ProcessNextWorkItem(client::WorkQueue* queue, const SyncFunc& sync, const std::string& name) {
  std::string key;
  if (!queue->Get(&key)) return false;
  absl::Status s = sync(key);
  if (s.ok()) {
    queue->Forget(key);
  } else {
    spdlog::warn("{}: error syncing {} (retry {}): {}", name, key, queue->NumRequeues(key) + 1,
                 s.ToString());
    queue->AddRateLimited(key);
  }
  queue->Done(key);
  return true;
}

void WorkerPool::Start(client::WorkQueue* queue, int n, SyncFunc sync, std::string name) {
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back([queue, sync, name] {
      while (ProcessNextWorkItem(queue, sync, name)) {
      }
    });
  }
}

void WorkerPool::Join() {
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace minik8s::controllers
