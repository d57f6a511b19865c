// The one clock (common/clock.h, common/fake_clock.h): the fake's timers and
// waits move only with the fake time; the real clock's wait and timers.
#include "common/clock.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/fake_clock.h"
#include "gtest/gtest.h"

namespace minik8s::common {
namespace {

TEST(FakeClockTest, AdvanceRunsDueTimersInOrderAndCancelDropsOne) {
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  std::vector<int> ran;
  std::vector<absl::Time> at;
  clock.RunAt(t0 + absl::Seconds(2), [&] {
    ran.push_back(2);
    at.push_back(clock.Now());
  });
  clock.RunAt(t0 + absl::Seconds(1), [&] {
    ran.push_back(1);
    at.push_back(clock.Now());
  });
  TimerId dropped = clock.RunAt(t0 + absl::Seconds(1), [&] { ran.push_back(99); });
  clock.Cancel(dropped);
  EXPECT_EQ(clock.NextTimer(), t0 + absl::Seconds(1));
  clock.Advance(absl::Milliseconds(999));
  EXPECT_TRUE(ran.empty());
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(at, (std::vector<absl::Time>{t0 + absl::Seconds(1), t0 + absl::Seconds(2)}));
  EXPECT_EQ(clock.Now(), t0 + absl::Milliseconds(5999));
  EXPECT_EQ(clock.PendingTimers(), 0u);
  EXPECT_EQ(clock.NextTimer(), absl::InfiniteFuture());
}

TEST(FakeClockTest, ATimerScheduledFromACallbackInsideTheAdvancedSpanRunsToo) {
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  std::vector<std::pair<int, absl::Time>> ran;
  clock.RunAt(t0 + absl::Seconds(1), [&] {
    ran.push_back({1, clock.Now()});
    clock.RunAt(clock.Now() + absl::Seconds(1), [&] { ran.push_back({2, clock.Now()}); });
    clock.RunAt(clock.Now() + absl::Seconds(5), [&] { ran.push_back({3, clock.Now()}); });
  });
  clock.Advance(absl::Seconds(2));
  ASSERT_EQ(ran.size(), 2u);
  EXPECT_EQ(ran[0], std::make_pair(1, t0 + absl::Seconds(1)));
  EXPECT_EQ(ran[1], std::make_pair(2, t0 + absl::Seconds(2)));
  EXPECT_EQ(clock.PendingTimers(), 1u);
  clock.Advance(absl::Seconds(10));
  ASSERT_EQ(ran.size(), 3u);
  EXPECT_EQ(ran[2], std::make_pair(3, t0 + absl::Seconds(6)));
}

TEST(FakeClockTest, SetTimeMayGoBackAndAdvanceToNeverDoes) {
  FakeClock clock(absl::FromUnixSeconds(100));
  clock.SetTime(absl::FromUnixSeconds(50));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(50));
  clock.AdvanceTo(absl::FromUnixSeconds(10));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(50));
  clock.Advance(-absl::Seconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(50));
}

TEST(FakeClockTest, AwaitWithDeadlineEndsWhenTheFakeTimeReachesTheDeadline) {
  FakeClock clock;
  const absl::Time deadline = clock.Now() + absl::Minutes(10);
  std::atomic<bool> returned{false};
  bool result = true;
  std::thread waiter([&] {
    absl::Mutex mu;
    absl::MutexLock lock(&mu);
    static constexpr bool kNever = false;
    result = clock.AwaitWithDeadline(&mu, absl::Condition(&kNever), deadline);
    returned = true;
  });
  while (clock.NumTimedWaiters() == 0) std::this_thread::yield();
  EXPECT_FALSE(returned.load());
  clock.Advance(absl::Minutes(10));
  waiter.join();
  EXPECT_FALSE(result);
  EXPECT_EQ(clock.NumTimedWaiters(), 0);
}

TEST(FakeClockTest, AwaitWithDeadlineEndsWhenTheConditionHolds) {
  FakeClock clock;
  absl::Mutex mu;
  bool flag = false;
  bool result = false;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    result = clock.AwaitWithDeadline(&mu, absl::Condition(&flag), clock.Now() + absl::Hours(1));
  });
  while (clock.NumTimedWaiters() == 0) std::this_thread::yield();
  {
    absl::MutexLock lock(&mu);
    flag = true;
  }
  waiter.join();
  EXPECT_TRUE(result);
}

TEST(FakeClockTest, SleepForReturnsOnceTheClockMoved) {
  FakeClock clock;
  absl::Notification slept;
  std::thread sleeper([&] {
    clock.SleepFor(absl::Seconds(30));
    slept.Notify();
  });
  while (clock.NumTimedWaiters() == 0) std::this_thread::yield();
  clock.Advance(absl::Seconds(29));
  EXPECT_FALSE(slept.WaitForNotificationWithTimeout(absl::Milliseconds(20)));
  clock.Advance(absl::Seconds(1));
  sleeper.join();
  EXPECT_TRUE(slept.HasBeenNotified());
}

TEST(RealClockTest, RunsTimersOnItsThreadAndHonoursCancel) {
  RealClock clock;
  absl::Notification ran;
  std::atomic<bool> cancelled_ran{false};
  TimerId id = clock.RunAt(clock.Now() + absl::Milliseconds(5), [&] { cancelled_ran = true; });
  clock.Cancel(id);
  const std::thread::id self = std::this_thread::get_id();
  std::thread::id on;
  clock.RunAt(clock.Now() + absl::Milliseconds(10), [&] {
    on = std::this_thread::get_id();
    ran.Notify();
  });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_NE(on, self);
  EXPECT_FALSE(cancelled_ran.load());
}

TEST(RealClockTest, AwaitWithDeadlineTimesOut) {
  absl::Mutex mu;
  absl::MutexLock lock(&mu);
  static constexpr bool kNever = false;
  EXPECT_FALSE(RealClock::Get()->AwaitWithDeadline(&mu, absl::Condition(&kNever),
                                                   absl::Now() + absl::Milliseconds(5)));
  EXPECT_EQ(RealClock::Get(), RealClock::Get());
}

TEST(RealClockTest, DestroyingDropsPendingTimers) {
  std::atomic<bool> ran{false};
  {
    RealClock clock;
    clock.RunAt(clock.Now() + absl::Hours(1), [&] { ran = true; });
  }
  EXPECT_FALSE(ran.load());
}

}  // namespace
}  // namespace minik8s::common
