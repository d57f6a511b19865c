// Waiting for a condition in tests and benchmarks without sleeping a guessed
// time: poll with a deadline. A test that must wait for another thread or a
// process polls the observable effect (an object in the apiserver, a port
// that accepts connections, a counter) with WaitFor; it never sleeps "long
// enough".
//
// Thread-safe: WaitFor calls `cond` only from the calling thread.
#ifndef MINIK8S_TESTING_WAIT_H_
#define MINIK8S_TESTING_WAIT_H_

#include <functional>

#include "absl/time/time.h"

namespace minik8s::testing {

// Calls `cond` until it returns true (returns true) or `timeout` has passed
// (returns false after one last call), pausing `poll` between calls.
bool WaitFor(const std::function<bool()>& cond, absl::Duration timeout,
             absl::Duration poll = absl::Milliseconds(20));

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_WAIT_H_
