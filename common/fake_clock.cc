#include "common/fake_clock.h"

#include <algorithm>

namespace minik8s::common {

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

bool FakeClock::AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                  absl::Time deadline) {
  const bool timed = deadline != absl::InfiniteFuture();
  if (timed) {
    absl::MutexLock lock(&mu_);
    ++timed_waiters_;
  }
  bool result = false;
  while (true) {
    if (cond.Eval()) {
      result = true;
      break;
    }
    if (timed && Now() >= deadline) break;
    // Poll: the fake time may move without anyone signalling `mu`.
    if (mu->AwaitWithTimeout(cond, absl::Milliseconds(1))) {
      result = true;
      break;
    }
  }
  if (timed) {
    absl::MutexLock lock(&mu_);
    --timed_waiters_;
  }
  return result;
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

void FakeClock::AdvanceTo(absl::Time t) { RunUntil(t, /*monotonic=*/true); }

void FakeClock::SetTime(absl::Time t) { RunUntil(t, /*monotonic=*/false); }

void FakeClock::RunUntil(absl::Time target, bool monotonic) {
  while (true) {
    std::function<void()> fn;
    {
      absl::MutexLock lock(&mu_);
      if (queue_.empty() || queue_.begin()->first.first > target) {
        now_ = monotonic ? std::max(now_, target) : target;
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

size_t FakeClock::PendingTimers() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

absl::Time FakeClock::NextTimer() const {
  absl::MutexLock lock(&mu_);
  return queue_.empty() ? absl::InfiniteFuture() : queue_.begin()->first.first;
}

int FakeClock::NumTimedWaiters() const {
  absl::MutexLock lock(&mu_);
  return timed_waiters_;
}

}  // namespace minik8s::common
