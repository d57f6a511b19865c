#include "controllers/util/worker.h"

#include <utility>

#include "absl/strings/cord.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers {
namespace {

constexpr char kIgnorablePayload[] = "minik8s.io/controllers/ignorable";

}  // namespace

absl::Status IgnorableError(absl::string_view message) {
  absl::Status s = absl::FailedPreconditionError(message);
  s.SetPayload(kIgnorablePayload, absl::Cord("1"));
  return s;
}

bool IsIgnorable(const absl::Status& status) {
  return status.GetPayload(kIgnorablePayload).has_value();
}

bool ProcessNextWorkItem(client::WorkQueue* queue, const SyncFunc& sync, const std::string& name,
                         const std::string& item) {
  std::string key;
  if (!queue->Get(&key)) return false;
  absl::Status s = sync(key);
  if (s.ok()) {
    queue->Forget(key);
  } else {
    if (IsIgnorable(s)) {
      spdlog::debug("{}: {}", name, std::string(s.message()));
    } else {
      spdlog::warn("{}: error syncing {}{}{} (retry {}): {}", name, item, item.empty() ? "" : " ",
                   key, queue->NumRequeues(key) + 1, s.ToString());
    }
    queue->AddRateLimited(key);
  }
  queue->Done(key);
  return true;
}

void WorkerPool::Start(client::WorkQueue* queue, int n, SyncFunc sync, std::string name,
                       std::string item) {
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back([queue, sync, name, item] {
      while (ProcessNextWorkItem(queue, sync, name, item)) {
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
