// Clock: the one time source of minik8s — the store's lessor, the runtime's
// simulated processes, the client library's queues and informers, the
// controllers and the kubelet all take a Clock* so that unit tests can move
// time by hand (FakeClock, common/fake_clock.h) instead of sleeping.
//
// A Clock does three things:
//   - Now(): the current time;
//   - AwaitWithDeadline(mu, cond, deadline): blocks a thread that holds `mu`
//     until `cond` holds or the clock reaches `deadline`, like
//     absl::Mutex::AwaitWithDeadline on the wall clock;
//   - timers: RunAt(when, fn) runs `fn` at `when`, Cancel(id) drops it.
//
// Timer contract shared by every implementation:
//   - RunAt never runs `fn` inline; it runs later on the clock's timer thread
//     (RealClock) or inside Advance (FakeClock), never before `when`;
//   - callbacks run one at a time, in deadline order (ties: scheduling
//     order), with no clock lock held, so they may call RunAt and Cancel;
//   - Cancel(id) drops a pending callback; it is a no-op for a callback that
//     already ran or is running (callers guard against that themselves).
//
// Thread safety: every method of every implementation is safe from any
// thread.
#ifndef MINIK8S_COMMON_CLOCK_H_
#define MINIK8S_COMMON_CLOCK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace minik8s::common {

// Identifies a pending timer; never 0.
using TimerId = uint64_t;

class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() const = 0;

  // `mu` must be held by the caller; it is released while waiting and held
  // again on return. Returns the value of `cond` on return (true = the
  // condition, not the deadline, ended the wait). InfiniteFuture waits for
  // the condition only.
  virtual bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;

  // Schedules `fn` to run at `when` (as soon as possible if `when` has
  // passed). Returns an id for Cancel.
  virtual TimerId RunAt(absl::Time when, std::function<void()> fn) = 0;
  virtual void Cancel(TimerId id) = 0;

  // Blocks the calling thread until the clock has moved `d` past now.
  void SleepFor(absl::Duration d);
};

// The wall clock (absl::Now()), with a timer queue served by one background
// thread, started on the first RunAt, so one clock can run the timers of
// thousands of simulated containers. Destroying a RealClock stops the thread;
// callbacks still pending are dropped (never run).
class RealClock : public Clock {
 public:
  RealClock() = default;
  ~RealClock() override;
  RealClock(const RealClock&) = delete;
  RealClock& operator=(const RealClock&) = delete;

  // The process-wide instance; it lives forever.
  static RealClock* Get();

  absl::Time Now() const override { return absl::Now(); }
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) override;
  TimerId RunAt(absl::Time when, std::function<void()> fn) override;
  void Cancel(TimerId id) override;

 private:
  void Loop();

  absl::Mutex mu_;
  absl::CondVar cv_;  // signalled on stop and when the earliest deadline changes
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  TimerId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Pending timers by (deadline, id); the id breaks ties in scheduling order.
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<TimerId, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
  std::thread thread_ ABSL_GUARDED_BY(mu_);  // started by the first RunAt
};

}  // namespace minik8s::common

#endif  // MINIK8S_COMMON_CLOCK_H_
