#include "printers/duration.h"

#include "api/time.h"
#include "gtest/gtest.h"

namespace minik8s::printers {
namespace {

TEST(HumanDuration, Table) {
  struct Case {
    absl::Duration d;
    const char* want;
  } cases[] = {
      {absl::Seconds(-2), "<invalid>"},
      {absl::Milliseconds(-500), "0s"},
      {absl::ZeroDuration(), "0s"},
      {absl::Seconds(45), "45s"},
      {absl::Seconds(119), "119s"},
      {absl::Seconds(120), "2m"},
      {absl::Seconds(182), "3m2s"},
      {absl::Minutes(9) + absl::Seconds(59), "9m59s"},
      {absl::Minutes(10) + absl::Seconds(30), "10m"},
      {absl::Minutes(179), "179m"},
      {absl::Hours(3), "3h"},
      {absl::Hours(7) + absl::Minutes(3), "7h3m"},
      {absl::Hours(8) + absl::Minutes(30), "8h"},
      {absl::Hours(47), "47h"},
      {absl::Hours(48), "2d"},
      {absl::Hours(24 * 3 + 4), "3d4h"},
      {absl::Hours(24 * 8), "8d"},
      {absl::Hours(24 * 400), "400d"},
      {absl::Hours(24 * 730), "2y"},
      {absl::Hours(24 * (365 * 3 + 10)), "3y10d"},
      {absl::Hours(24 * 365 * 9), "9y"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HumanDuration(c.d), c.want) << absl::FormatDuration(c.d);
  }
}

TEST(TimestampSince, UnsetIsUnknown) {
  EXPECT_EQ(TimestampSince(meta::v1::Time(), absl::Now()), "<unknown>");
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  EXPECT_EQ(TimestampSince(api::ToProtoTime(now - absl::Seconds(90)), now), "90s");
  EXPECT_EQ(MicroTimestampSince(api::ToProtoMicroTime(now - absl::Hours(5)), now), "5h");
}

}  // namespace
}  // namespace minik8s::printers
