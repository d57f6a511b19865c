// FakeClock: a manual clock for tests. Time moves only in Advance/AdvanceTo,
// which run every timer that falls due, in deadline order, in the calling
// thread, with Now() equal to each timer's deadline while it runs. A callback
// that schedules another timer within the advanced span sees it run too.
// Thread-safe (tests usually drive it from one thread).
#ifndef MINIK8S_RUNTIME_FAKE_CLOCK_H_
#define MINIK8S_RUNTIME_FAKE_CLOCK_H_

#include <functional>
#include <map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "runtime/clock.h"

namespace minik8s::runtime {

class FakeClock : public Clock {
 public:
  // Starts at `start` (default: 2024-01-01T00:00:00Z, a fixed instant so that
  // formatted timestamps are stable).
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1704067200));

  absl::Time Now() override;
  TimerId RunAt(absl::Time when, std::function<void()> fn) override;
  void Cancel(TimerId id) override;

  // Moves time forward by `d` (>= 0), running the timers that fall due.
  void Advance(absl::Duration d);
  void AdvanceTo(absl::Time t);

  // Number of pending timers.
  size_t PendingTimers();

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  TimerId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<TimerId, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_FAKE_CLOCK_H_
