#include "scheduler/framework/parallelizer.h"

#include <algorithm>

namespace minik8s::scheduler {

Parallelizer::Parallelizer(int parallelism) {
  for (int i = 1; i < parallelism; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

Parallelizer::~Parallelizer() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  for (auto& t : workers_) t.join();
}

void Parallelizer::RunChunks() {
  for (;;) {
    int start = next_.fetch_add(chunk_);
    if (start >= n_) return;
    int end = std::min(n_, start + chunk_);
    for (int i = start; i < end; ++i) (*fn_)(i);
  }
}

void Parallelizer::Until(int n, int chunk, const std::function<void(int)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n <= chunk) {
    for (int i = 0; i < n; ++i) fn(i);
    return;
  }
  {
    absl::MutexLock l(&mu_);
    fn_ = &fn;
    n_ = n;
    chunk_ = std::max(1, chunk);
    next_.store(0);
    active_ = static_cast<int>(workers_.size());
    ++job_;
  }
  RunChunks();
  absl::MutexLock l(&mu_);
  mu_.Await(absl::Condition(
      +[](int* active) { return *active == 0; }, &active_));
  fn_ = nullptr;
}

void Parallelizer::WorkerLoop() {
  uint64_t seen = 0;
  for (;;) {
    {
      absl::MutexLock l(&mu_);
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || job_ != seen; };
      mu_.Await(absl::Condition(&ready));
      if (stop_) return;
      seen = job_;
    }
    RunChunks();
    absl::MutexLock l(&mu_);
    --active_;
  }
}

}  // namespace minik8s::scheduler
