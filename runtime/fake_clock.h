// The runtime's name for the test clock (common/fake_clock.h).
#ifndef MINIK8S_RUNTIME_FAKE_CLOCK_H_
#define MINIK8S_RUNTIME_FAKE_CLOCK_H_

#include "common/fake_clock.h"
#include "runtime/clock.h"

namespace minik8s::runtime {

using FakeClock = ::minik8s::common::FakeClock;

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_FAKE_CLOCK_H_
