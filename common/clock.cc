#include "common/clock.h"

namespace minik8s::common {

void Clock::SleepFor(absl::Duration d) {
  absl::Mutex mu;
  absl::MutexLock lock(&mu);
  const absl::Time deadline = Now() + d;
  static constexpr bool kNever = false;
  AwaitWithDeadline(&mu, absl::Condition(&kNever), deadline);
}

RealClock* RealClock::Get() {
  static RealClock* clock = new RealClock();
  return clock;
}

RealClock::~RealClock() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    cv_.Signal();
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

bool RealClock::AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                  absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) {
    mu->Await(cond);
    return true;
  }
  return mu->AwaitWithDeadline(cond, deadline);
}

TimerId RealClock::RunAt(absl::Time when, std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
  if (!thread_.joinable() && !stopping_) thread_ = std::thread([this] { Loop(); });
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

}  // namespace minik8s::common
