// The figures `minik8s up` prints for each daemon's start.
#include "cluster/launcher.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace minik8s::cluster {
namespace {

TEST(FormatStartupTime, ShowsTheRealFigure) {
  // Quick daemons are not "0".
  EXPECT_EQ(FormatStartupTime(absl::Milliseconds(7)), "7ms");
  EXPECT_EQ(FormatStartupTime(absl::Microseconds(99900)), "99ms");
  EXPECT_EQ(FormatStartupTime(absl::ZeroDuration()), "0ms");
  EXPECT_EQ(FormatStartupTime(absl::Milliseconds(420)), "0.4s");
  EXPECT_EQ(FormatStartupTime(absl::Milliseconds(1000)), "1.0s");
  EXPECT_EQ(FormatStartupTime(absl::Milliseconds(1260)), "1.3s");
  EXPECT_EQ(FormatStartupTime(absl::Milliseconds(12340)), "12.3s");
  EXPECT_EQ(FormatStartupTime(-absl::Seconds(1)), "0ms");
}

}  // namespace
}  // namespace minik8s::cluster
