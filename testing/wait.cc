#include "testing/wait.h"

#include "absl/time/clock.h"

namespace minik8s::testing {

bool WaitFor(const std::function<bool()>& cond, absl::Duration timeout, absl::Duration poll) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (cond()) return true;
    if (absl::Now() > deadline) return cond();
    absl::SleepFor(poll);
  }
}

}  // namespace minik8s::testing
