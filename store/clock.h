// The store's names for the one clock (common/clock.h, common/fake_clock.h):
// the lessor and the auto-compactor take a Clock* so that tests advance time
// instead of sleeping.
#ifndef MINIK8S_STORE_CLOCK_H_
#define MINIK8S_STORE_CLOCK_H_

#include "common/clock.h"
#include "common/fake_clock.h"

namespace minik8s::store {

using Clock = ::minik8s::common::Clock;
using RealClock = ::minik8s::common::RealClock;
using FakeClock = ::minik8s::common::FakeClock;

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_CLOCK_H_
