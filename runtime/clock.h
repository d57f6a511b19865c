// The runtime's names for the one clock (common/clock.h): the simulated
// processes run on a Clock's timers (RealClock: one background thread for
// every timer; FakeClock: inside Advance, so unit tests step through minutes
// of simulated time without sleeping). See common/clock.h for the contract.
#ifndef MINIK8S_RUNTIME_CLOCK_H_
#define MINIK8S_RUNTIME_CLOCK_H_

#include "common/clock.h"

namespace minik8s::runtime {

using Clock = ::minik8s::common::Clock;
using TimerId = ::minik8s::common::TimerId;

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_CLOCK_H_
