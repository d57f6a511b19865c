#include "client/clock.h"

namespace minik8s::client {
namespace {

class WallClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) override {
    if (deadline == absl::InfiniteFuture()) {
      mu->Await(cond);
      return true;
    }
    return mu->AwaitWithDeadline(cond, deadline);
  }
};

}  // namespace

Clock* RealClock() {
  static WallClock* clock = new WallClock();
  return clock;
}

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

bool FakeClock::AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                  absl::Time deadline) {
  bool timed = deadline != absl::InfiniteFuture();
  if (timed) {
    absl::MutexLock lock(&mu_);
    ++timed_waiters_;
  }
  bool result = false;
  while (true) {
    if (cond.Eval()) {
      result = true;
      break;
    }
    if (timed && Now() >= deadline) break;
    // Poll: the fake time may move without anyone signalling `mu`.
    if (mu->AwaitWithTimeout(cond, absl::Milliseconds(1))) {
      result = true;
      break;
    }
  }
  if (timed) {
    absl::MutexLock lock(&mu_);
    --timed_waiters_;
  }
  return result;
}

void FakeClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
}

void FakeClock::SetTime(absl::Time t) {
  absl::MutexLock lock(&mu_);
  now_ = t;
}

int FakeClock::NumTimedWaiters() const {
  absl::MutexLock lock(&mu_);
  return timed_waiters_;
}

}  // namespace minik8s::client
