#include "api/time.h"

#include "gtest/gtest.h"

namespace minik8s::api {
namespace {

TEST(Time, FormatsRfc3339InUtc) {
  absl::Time t =
      absl::FromUnixSeconds(1714557600) + absl::Microseconds(123456) + absl::Nanoseconds(789);
  EXPECT_EQ(FormatRfc3339(t), "2024-05-01T10:00:00Z");
  EXPECT_EQ(FormatRfc3339Micro(t), "2024-05-01T10:00:00.123456Z");
  EXPECT_EQ(FormatRfc3339Micro(absl::FromUnixSeconds(1714557600)), "2024-05-01T10:00:00.000000Z");
}

TEST(Time, EarlyYearsKeepFourDigitsAndParseBack) {
  // Go's RFC 3339 pads the year to four digits; an unpadded "47-05-01..."
  // would not parse back (found by the codec fuzzer).
  absl::StatusOr<absl::Time> t = ParseRfc3339("0047-05-01T10:00:00Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(FormatRfc3339(*t), "0047-05-01T10:00:00Z");
  EXPECT_EQ(FormatRfc3339Micro(*t), "0047-05-01T10:00:00.000000Z");
  absl::StatusOr<absl::Time> back = ParseRfc3339(FormatRfc3339(*t));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, *t);
}

TEST(Time, ParsesRfc3339) {
  const absl::Time want = absl::FromUnixSeconds(1714557600);
  EXPECT_EQ(*ParseRfc3339("2024-05-01T10:00:00Z"), want);
  EXPECT_EQ(*ParseRfc3339("2024-05-01T12:00:00+02:00"), want);
  EXPECT_EQ(*ParseRfc3339("2024-05-01T05:30:00-04:30"), want);
  EXPECT_EQ(*ParseRfc3339("2024-05-01T10:00:00.5Z"), want + absl::Milliseconds(500));
  for (const char* bad : {"", "yesterday", "2024-05-01", "2024-05-01 10:00:00Z",
                          "2024-05-01T10:00:00", "2024-13-01T10:00:00Z", "10:00:00Z"}) {
    absl::StatusOr<absl::Time> t = ParseRfc3339(bad);
    EXPECT_FALSE(t.ok()) << bad;
  }
  EXPECT_EQ(ParseRfc3339("yesterday").status().message(),
            "parsing time \"yesterday\" as RFC3339: not of the form 2006-01-02T15:04:05Z07:00");
}

TEST(Time, ProtoConversionsTruncate) {
  absl::Time t = absl::FromUnixSeconds(100) + absl::Nanoseconds(123456789);
  minik8s::meta::v1::Time sec = ToProtoTime(t);
  EXPECT_EQ(sec.seconds(), 100);
  EXPECT_EQ(sec.nanos(), 0);
  minik8s::meta::v1::MicroTime micro = ToProtoMicroTime(t);
  EXPECT_EQ(micro.seconds(), 100);
  EXPECT_EQ(micro.nanos(), 123456000);
  EXPECT_EQ(FromProtoMicroTime(micro), absl::FromUnixSeconds(100) + absl::Microseconds(123456));
  // Before the epoch, truncation goes toward the past.
  minik8s::meta::v1::Time before = ToProtoTime(absl::FromUnixSeconds(-1) + absl::Milliseconds(500));
  EXPECT_EQ(before.seconds(), -1);
  EXPECT_EQ(FromProtoTime(before), absl::FromUnixSeconds(-1));
}

}  // namespace
}  // namespace minik8s::api
