// The client library's names for the one clock (common/clock.h,
// common/fake_clock.h): work queue delays, rate limiters, informer resync
// and back-off, leader election and event timestamps all read a Clock*, so
// unit tests inject a FakeClock and move time by hand instead of sleeping.
//
// RealClock() returns the process-wide wall clock, which lives forever.
#ifndef MINIK8S_CLIENT_CLOCK_H_
#define MINIK8S_CLIENT_CLOCK_H_

#include "common/clock.h"
#include "common/fake_clock.h"

namespace minik8s::client {

using Clock = ::minik8s::common::Clock;
using FakeClock = ::minik8s::common::FakeClock;

// The wall clock (absl::Now()).
inline Clock* RealClock() { return ::minik8s::common::RealClock::Get(); }

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_CLOCK_H_
