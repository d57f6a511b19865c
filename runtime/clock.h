// Time and timers for the simulated runtime.
//
// A Clock tells the time and runs callbacks at given times. The real clock
// (RealClock) runs every callback on one background thread, however many
// timers are pending, so one runtime can simulate thousands of containers;
// the fake clock (FakeClock) runs them in the thread that advances it, which
// lets unit tests step through minutes of simulated time without sleeping.
//
// Contract shared by every implementation:
//   - RunAt never runs `fn` inline; it runs later on the clock's thread (real)
//     or inside Advance (fake), never before `when`.
//   - Callbacks run one at a time, in deadline order (ties: scheduling order),
//     with no clock lock held, so they may call RunAt and Cancel.
//   - Cancel(id) drops a pending callback; it is a no-op for a callback that
//     already ran or is running (callers guard against that themselves).
// Thread-safe.
#ifndef MINIK8S_RUNTIME_CLOCK_H_
#define MINIK8S_RUNTIME_CLOCK_H_

#include <cstdint>
#include <functional>

#include "absl/time/time.h"

namespace minik8s::runtime {

using TimerId = uint64_t;

class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() = 0;

  // Schedules `fn` to run at `when` (or as soon as possible if `when` has
  // passed). Returns an id for Cancel; ids are never 0.
  virtual TimerId RunAt(absl::Time when, std::function<void()> fn) = 0;

  virtual void Cancel(TimerId id) = 0;
};

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_CLOCK_H_
