// Clock: the time source of the client library's timers (work queue delays,
// rate limiters, informer resync and backoff, leader election, event
// timestamps). Production code uses RealClock(); unit tests inject a
// FakeClock and move time by hand, so no test sleeps for real durations.
//
// Waiting goes through the clock too: AwaitWithDeadline(mu, cond, deadline)
// blocks a thread that holds `mu` until `cond` holds or the clock reaches
// `deadline`, exactly like absl::Mutex::AwaitWithDeadline on the real clock.
//
// Thread safety: every method of both clocks is safe to call from any thread.
// RealClock() returns a process-wide instance that lives forever.
#ifndef MINIK8S_CLIENT_CLOCK_H_
#define MINIK8S_CLIENT_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace minik8s::client {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // `mu` must be held by the caller; it is released while waiting and held
  // again on return. Returns the value of `cond` on return (true = the
  // condition, not the deadline, ended the wait).
  virtual bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                 absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;
};

// The wall clock (absl::Now()).
Clock* RealClock();

// A clock that only moves when told to. Waiters re-check their condition and
// the fake time every millisecond of real time, so Advance() wakes them
// promptly without the clock having to know their mutexes.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000));

  absl::Time Now() const override;
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) override;

  void Advance(absl::Duration d);
  void SetTime(absl::Time t);
  // Threads currently blocked in AwaitWithDeadline with a finite deadline
  // (lets a test wait until a timer thread has gone to sleep).
  int NumTimedWaiters() const;

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  int timed_waiters_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_CLOCK_H_
