#include "runtime/fake_clock.h"

#include <algorithm>

namespace minik8s::runtime {

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() {
  absl::MutexLock lock(&mu_);
  return now_;
}

TimerId FakeClock::RunAt(absl::Time when, std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
  TimerId id = next_id_++;
  queue_.emplace(std::make_pair(when, id), std::move(fn));
  deadlines_.emplace(id, when);
  return id;
}

void FakeClock::Cancel(TimerId id) {
  absl::MutexLock lock(&mu_);
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return;
  queue_.erase(std::make_pair(it->second, id));
  deadlines_.erase(it);
}

void FakeClock::Advance(absl::Duration d) { AdvanceTo(Now() + std::max(d, absl::ZeroDuration())); }

void FakeClock::AdvanceTo(absl::Time target) {
  while (true) {
    std::function<void()> fn;
    {
      absl::MutexLock lock(&mu_);
      if (queue_.empty() || queue_.begin()->first.first > target) {
        now_ = std::max(now_, target);
        return;
      }
      auto first = queue_.begin();
      now_ = std::max(now_, first->first.first);
      fn = std::move(first->second);
      deadlines_.erase(first->first.second);
      queue_.erase(first);
    }
    fn();
  }
}

size_t FakeClock::PendingTimers() {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace minik8s::runtime
