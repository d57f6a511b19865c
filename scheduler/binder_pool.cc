#include "scheduler/binder_pool.h"

#include <algorithm>

namespace minik8s::scheduler {

BinderPool::BinderPool(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Loop(); });
}

BinderPool::~BinderPool() { Shutdown(); }

void BinderPool::Submit(std::function<void()> task) {
  absl::MutexLock l(&mu_);
  if (stopping_) return;
  tasks_.push_back(std::move(task));
}

void BinderPool::Drain() {
  absl::MutexLock l(&mu_);
  auto idle = [this]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return tasks_.empty() && running_ == 0; };
  mu_.Await(absl::Condition(&idle));
}

void BinderPool::Shutdown() {
  {
    absl::MutexLock l(&mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void BinderPool::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !tasks_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (tasks_.empty()) return;  // stopping and drained
      task = std::move(tasks_.front());
      tasks_.pop_front();
      ++running_;
    }
    task();
    absl::MutexLock l(&mu_);
    --running_;
  }
}

}  // namespace minik8s::scheduler
