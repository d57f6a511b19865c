// The runtime's name for the wall clock with timers (common/clock.h).
#ifndef MINIK8S_RUNTIME_REAL_CLOCK_H_
#define MINIK8S_RUNTIME_REAL_CLOCK_H_

#include "common/clock.h"
#include "runtime/clock.h"

namespace minik8s::runtime {

using RealClock = ::minik8s::common::RealClock;

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_REAL_CLOCK_H_
