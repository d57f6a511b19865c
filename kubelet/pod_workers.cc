#include "kubelet/pod_workers.h"

#include <algorithm>
#include <utility>

#include "spdlog/spdlog.h"

namespace minik8s::kubelet {

PodWorkers::PodWorkers(SyncFn sync, PodWorkersOptions options)
    : sync_(std::move(sync)),
      options_(options),
      queue_(client::WorkQueueOptions{.name = "pods", .clock = options.clock}) {}

PodWorkers::~PodWorkers() { Stop(); }

void PodWorkers::Start() {
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads_.emplace_back([this] { Loop(); });
  }
}

void PodWorkers::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  queue_.ShutDown();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

bool PodWorkers::Stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void PodWorkers::Enqueue(const std::string& key) { queue_.Add(key); }

void PodWorkers::Loop() {
  std::string key;
  while (queue_.Get(&key)) {
    // The queue hands out its backlog after ShutDown; a stopping kubelet
    // leaves it (the pods keep running and are synced after a restart).
    if (Stopping()) {
      queue_.Done(key);
      continue;
    }
    absl::Duration requeue = absl::InfiniteDuration();
    absl::Status s = sync_(key, &requeue);
    queue_.Done(key);
    if (!s.ok()) {
      spdlog::warn("pod {}: sync failed (will retry): {}", key, s.ToString());
      queue_.AddAfter(key, options_.retry_after);
    } else if (requeue != absl::InfiniteDuration()) {
      queue_.AddAfter(key, std::max(requeue, options_.min_requeue));
    }
  }
}

PodWorker* PodWorkers::Find(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = workers_.find(key);
  return it == workers_.end() ? nullptr : it->second.get();
}

PodWorker* PodWorkers::Put(const std::string& key, std::unique_ptr<PodWorker> w) {
  PodWorker* out = w.get();
  absl::MutexLock lock(&mu_);
  workers_[key] = std::move(w);
  return out;
}

void PodWorkers::Remove(const std::string& key) {
  std::unique_ptr<PodWorker> gone;  // destroyed outside the lock
  absl::MutexLock lock(&mu_);
  auto it = workers_.find(key);
  if (it == workers_.end()) return;
  gone = std::move(it->second);
  workers_.erase(it);
}

std::vector<std::string> PodWorkers::Keys() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> keys;
  keys.reserve(workers_.size());
  for (const auto& [k, w] : workers_) keys.push_back(k);
  return keys;
}

int PodWorkers::Size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(workers_.size());
}

}  // namespace minik8s::kubelet
