#include "runtime/real_clock.h"

namespace minik8s::runtime {

RealClock::RealClock() : thread_([this] { Loop(); }) {}

RealClock::~RealClock() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    cv_.Signal();
  }
  thread_.join();
}

TimerId RealClock::RunAt(absl::Time when, std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
  TimerId id = next_id_++;
  auto it = queue_.emplace(std::make_pair(when, id), std::move(fn)).first;
  deadlines_.emplace(id, when);
  if (it == queue_.begin()) cv_.Signal();  // the loop may sleep past `when`
  return id;
}

void RealClock::Cancel(TimerId id) {
  absl::MutexLock lock(&mu_);
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return;
  queue_.erase(std::make_pair(it->second, id));
  deadlines_.erase(it);
}

void RealClock::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.Wait(&mu_);
      continue;
    }
    auto first = queue_.begin();
    absl::Time deadline = first->first.first;
    if (absl::Now() < deadline) {
      cv_.WaitWithDeadline(&mu_, deadline);
      continue;  // re-examine: a timer may have been added or cancelled
    }
    std::function<void()> fn = std::move(first->second);
    deadlines_.erase(first->first.second);
    queue_.erase(first);
    mu_.Unlock();
    fn();
    mu_.Lock();
  }
}

}  // namespace minik8s::runtime
