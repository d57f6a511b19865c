#include "common/clock.h"

#include <vector>

#include "absl/synchronization/notification.h"
#include "common/fake_clock.h"
#include "gtest/gtest.h"

namespace minik8s::runtime {
namespace {

TEST(FakeClock, RunsDueTimersInDeadlineOrderWithNowAtTheDeadline) {
  common::FakeClock clock;
  absl::Time t0 = clock.Now();
  std::vector<std::pair<int, absl::Time>> ran;
  clock.RunAt(t0 + absl::Seconds(3), [&] { ran.push_back({3, clock.Now()}); });
  clock.RunAt(t0 + absl::Seconds(1), [&] {
    ran.push_back({1, clock.Now()});
    // Scheduled from a callback, inside the advanced span: runs too.
    clock.RunAt(clock.Now() + absl::Seconds(1), [&] { ran.push_back({2, clock.Now()}); });
  });
  common::TimerId cancelled = clock.RunAt(t0 + absl::Seconds(2), [&] {
    ran.push_back({-1, clock.Now()});
  });
  clock.Cancel(cancelled);
  clock.Advance(absl::Seconds(2));
  ASSERT_EQ(ran.size(), 2u);
  EXPECT_EQ(ran[0], std::make_pair(1, t0 + absl::Seconds(1)));
  EXPECT_EQ(ran[1], std::make_pair(2, t0 + absl::Seconds(2)));
  EXPECT_EQ(clock.Now(), t0 + absl::Seconds(2));
  EXPECT_EQ(clock.PendingTimers(), 1u);
  clock.Advance(absl::Seconds(10));
  ASSERT_EQ(ran.size(), 3u);
  EXPECT_EQ(ran[2].first, 3);
  EXPECT_EQ(clock.Now(), t0 + absl::Seconds(12));
}

TEST(RealClock, RunsCallbacksOnItsThreadAndHonoursCancel) {
  common::RealClock clock;
  absl::Notification first, second;
  bool cancelled_ran = false;
  common::TimerId c =
      clock.RunAt(clock.Now() + absl::Milliseconds(20), [&] { cancelled_ran = true; });
  clock.RunAt(clock.Now() + absl::Milliseconds(30), [&] { second.Notify(); });
  clock.RunAt(clock.Now(), [&] { first.Notify(); });
  clock.Cancel(c);
  EXPECT_TRUE(first.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_TRUE(second.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_FALSE(cancelled_ran);
}

TEST(RealClock, DestroyingDropsPendingTimers) {
  bool ran = false;
  {
    common::RealClock clock;
    clock.RunAt(clock.Now() + absl::Hours(1), [&] { ran = true; });
  }
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace minik8s::runtime
