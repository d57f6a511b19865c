// FakeClock: a Clock for tests that moves only when told to.
//
//   - Advance(d) / AdvanceTo(t) / SetTime(t) move the time and run every
//     timer that falls due, in deadline order, in the calling thread, with
//     Now() equal to each timer's deadline while it runs; a callback that
//     schedules another timer within the advanced span sees it run too.
//   - AwaitWithDeadline waiters re-check their condition and the fake time
//     every millisecond of real time, so moving the time wakes them promptly
//     without the clock knowing their mutexes. NumTimedWaiters() tells a test
//     that a thread has gone to sleep on the clock.
//
// Starts at 2023-11-14T22:13:20Z by default (a fixed instant, so formatted
// timestamps are stable). Thread-safe; tests usually drive it from one thread.
#ifndef MINIK8S_COMMON_FAKE_CLOCK_H_
#define MINIK8S_COMMON_FAKE_CLOCK_H_

#include <cstddef>
#include <functional>
#include <map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace minik8s::common {

class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000));

  absl::Time Now() const override;
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) override;
  TimerId RunAt(absl::Time when, std::function<void()> fn) override;
  void Cancel(TimerId id) override;

  // Moves time forward by `d` (negative counts as zero), running the timers
  // that fall due.
  void Advance(absl::Duration d);
  // Moves time forward to `t` (never backwards), running the timers due.
  void AdvanceTo(absl::Time t);
  // Sets the time to `t`, which may be in the past (timers due by `t` run).
  void SetTime(absl::Time t);

  // Number of pending timers.
  size_t PendingTimers() const;
  // The earliest pending timer's deadline (InfiniteFuture when none).
  absl::Time NextTimer() const;
  // Threads blocked in AwaitWithDeadline with a finite deadline.
  int NumTimedWaiters() const;

 private:
  // Runs the timers due by `target`, then sets now to `target` (or keeps the
  // later current time when `monotonic`).
  void RunUntil(absl::Time target, bool monotonic);

  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  TimerId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  int timed_waiters_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<TimerId, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::common

#endif  // MINIK8S_COMMON_FAKE_CLOCK_H_
