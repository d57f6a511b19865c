#include "kubelet/backoff.h"

#include "common/duration.h"
#include "gtest/gtest.h"

namespace minik8s::kubelet {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

TEST(Backoff, DoublesFromInitialToMax) {
  Backoff b(absl::Seconds(10), absl::Seconds(300));
  std::vector<int> seen;
  absl::Time t = kT0;
  for (int i = 0; i < 8; ++i) {
    seen.push_back(static_cast<int>(absl::ToInt64Seconds(b.Next("c", t))));
    t += absl::Seconds(1);
  }
  EXPECT_EQ(seen, (std::vector<int>{10, 20, 40, 80, 160, 300, 300, 300}));
}

TEST(Backoff, FirstCrashRestartsAtOnceThenWaits) {
  Backoff b(absl::Seconds(10), absl::Seconds(300));
  // Crash 1: nothing recorded, restart at once.
  EXPECT_FALSE(b.IsInBackOffSince("c", kT0, kT0));
  b.Next("c", kT0);
  // Crash 2 finishes at t0+1s: back-off 10s from then.
  absl::Time finished = kT0 + absl::Seconds(1);
  EXPECT_TRUE(b.IsInBackOffSince("c", finished, finished + absl::Seconds(9)));
  EXPECT_FALSE(b.IsInBackOffSince("c", finished, finished + absl::Seconds(10)));
  EXPECT_EQ(b.Next("c", finished + absl::Seconds(10)), absl::Seconds(20));
}

TEST(Backoff, KeysAreIndependentAndReset) {
  Backoff b(absl::Seconds(1), absl::Seconds(8));
  b.Next("a", kT0);
  b.Next("a", kT0);
  EXPECT_EQ(b.Get("a"), absl::Seconds(2));
  EXPECT_EQ(b.Get("b"), absl::ZeroDuration());
  b.Reset("a");
  EXPECT_EQ(b.Get("a"), absl::ZeroDuration());
  EXPECT_EQ(b.Next("a", kT0), absl::Seconds(1));
}

TEST(Backoff, StaleEntryStartsOver) {
  Backoff b(absl::Seconds(1), absl::Seconds(8));
  b.Next("a", kT0);
  b.Next("a", kT0);
  b.Next("a", kT0);
  EXPECT_EQ(b.Get("a"), absl::Seconds(4));
  // Untouched for more than 2 * max: a fresh start.
  EXPECT_EQ(b.Next("a", kT0 + absl::Seconds(17)), absl::Seconds(1));
}

TEST(Backoff, ResetPrefix) {
  Backoff b(absl::Seconds(1), absl::Seconds(8));
  b.Next("pod1/a", kT0);
  b.Next("pod1/b", kT0);
  b.Next("pod2/a", kT0);
  b.ResetPrefix("pod1/");
  EXPECT_EQ(b.Get("pod1/a"), absl::ZeroDuration());
  EXPECT_EQ(b.Get("pod1/b"), absl::ZeroDuration());
  EXPECT_EQ(b.Get("pod2/a"), absl::Seconds(1));
}

TEST(FormatGoDuration, LikeGo) {
  EXPECT_EQ(FormatGoDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(500)), "500ms");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(1200)), "1.2s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(10)), "10s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(80)), "1m20s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(5)), "5m0s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(1)), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(absl::Microseconds(2164300)), "2.164s");
}

}  // namespace
}  // namespace minik8s::kubelet
