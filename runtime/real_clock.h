// RealClock: wall-clock time, and a timer queue served by one background
// thread. Destroying the clock stops the thread; callbacks still pending are
// dropped (never run). Thread-safe; see clock.h for the timer contract.
#ifndef MINIK8S_RUNTIME_REAL_CLOCK_H_
#define MINIK8S_RUNTIME_REAL_CLOCK_H_

#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "runtime/clock.h"

namespace minik8s::runtime {

class RealClock : public Clock {
 public:
  RealClock();
  ~RealClock() override;
  RealClock(const RealClock&) = delete;
  RealClock& operator=(const RealClock&) = delete;

  absl::Time Now() override { return absl::Now(); }
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
  std::thread thread_;  // started last in the constructor
};

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_REAL_CLOCK_H_
