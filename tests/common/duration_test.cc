// Go-syntax durations (common/duration.h) and the CLI11 duration flag
// (common/duration_flag.h).
#include "common/duration.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "common/duration_flag.h"

namespace minik8s {
namespace {

TEST(ParseGoDuration, AcceptsGoSyntax) {
  struct Case {
    const char* text;
    absl::Duration want;
  } cases[] = {
      {"0", absl::ZeroDuration()},
      {"0s", absl::ZeroDuration()},
      {"-0", absl::ZeroDuration()},
      {"500ms", absl::Milliseconds(500)},
      {"1.5s", absl::Milliseconds(1500)},
      {"1m30s", absl::Seconds(90)},
      {"2h", absl::Hours(2)},
      {"2h45m", absl::Minutes(165)},
      {"-1.5h", -absl::Minutes(90)},
      {"+5s", absl::Seconds(5)},
      {".5s", absl::Milliseconds(500)},
      {"1.s", absl::Seconds(1)},
      {"10us", absl::Microseconds(10)},
      {"10\xC2\xB5s", absl::Microseconds(10)},
      {"10\xCE\xBCs", absl::Microseconds(10)},
      {"7ns", absl::Nanoseconds(7)},
      {"1h1m1s1ms1us1ns", absl::Hours(1) + absl::Minutes(1) + absl::Seconds(1) +
                              absl::Milliseconds(1) + absl::Microseconds(1) + absl::Nanoseconds(1)},
      {"9223372036854775807ns", absl::Nanoseconds(9223372036854775807LL)},
      {"-9223372036854775808ns", absl::Nanoseconds(-9223372036854775807LL - 1)},
  };
  for (const Case& c : cases) {
    absl::StatusOr<absl::Duration> d = ParseGoDuration(c.text);
    ASSERT_TRUE(d.ok()) << c.text << ": " << d.status();
    EXPECT_EQ(*d, c.want) << c.text;
  }
}

TEST(ParseGoDuration, RefusesBareNumbersAndJunkWithAClearError) {
  for (const char* text : {"10", "1.5", "", "-", "s", ".s", "5 s", "5sec", "1d", "inf", "5s3",
                           "9223372036854775808ns", "3000000h", "1..5s", "abc"}) {
    absl::StatusOr<absl::Duration> d = ParseGoDuration(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_NE(d.status().message().find(std::string("\"") + text + "\""), std::string::npos)
        << d.status();
  }
  EXPECT_NE(ParseGoDuration("10").status().message().find("missing unit"), std::string::npos);
  EXPECT_NE(ParseGoDuration("1d").status().message().find("unknown unit \"d\""), std::string::npos);
}

TEST(FormatGoDuration, PrintsAsGoAndReadsBack) {
  EXPECT_EQ(FormatGoDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(500)), "500ms");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(1200)), "1.2s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(80)), "1m20s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(5)), "5m0s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(1)), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(-absl::Seconds(3)), "-3s");
  EXPECT_EQ(FormatGoDuration(-absl::Microseconds(1)), "0s");
  for (absl::Duration d : {absl::Milliseconds(1), absl::Milliseconds(1500), absl::Minutes(90),
                           absl::Hours(30) + absl::Milliseconds(7), -absl::Minutes(2)}) {
    absl::StatusOr<absl::Duration> back = ParseGoDuration(FormatGoDuration(d));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, d);
  }
}

// Parses `args` with one duration flag; the error text, or "" when it parsed.
std::string ParseFlag(std::vector<std::string> args, absl::Duration* out, DurationBound bound) {
  CLI::App app("test");
  AddDurationFlag(app, "--period,--alias", out, "a period", bound);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

TEST(DurationFlag, ParsesGoDurationsAndRefusesBareNumbers) {
  absl::Duration d = absl::Seconds(5);
  EXPECT_EQ(ParseFlag({}, &d, DurationBound::kPositive), "");
  EXPECT_EQ(d, absl::Seconds(5));  // the default stays
  EXPECT_EQ(ParseFlag({"--period=1m30s"}, &d, DurationBound::kPositive), "");
  EXPECT_EQ(d, absl::Seconds(90));
  EXPECT_EQ(ParseFlag({"--alias", "250ms"}, &d, DurationBound::kPositive), "");
  EXPECT_EQ(d, absl::Milliseconds(250));

  std::string error = ParseFlag({"--period=10"}, &d, DurationBound::kPositive);
  EXPECT_NE(error.find("--period"), std::string::npos) << error;
  EXPECT_NE(error.find("missing unit"), std::string::npos) << error;
  EXPECT_EQ(d, absl::Milliseconds(250));
  error = ParseFlag({"--period=0"}, &d, DurationBound::kPositive);
  EXPECT_NE(error.find("must be positive"), std::string::npos) << error;
  EXPECT_EQ(ParseFlag({"--period=0"}, &d, DurationBound::kNonNegative), "");
  EXPECT_EQ(d, absl::ZeroDuration());
  error = ParseFlag({"--period=-1s"}, &d, DurationBound::kNonNegative);
  EXPECT_NE(error.find("must not be negative"), std::string::npos) << error;
  EXPECT_EQ(ParseFlag({"--period=-1s"}, &d, DurationBound::kAny), "");
  EXPECT_EQ(d, -absl::Seconds(1));
}

TEST(DurationFlag, HelpShowsTheDefaultAsGoPrintsIt) {
  CLI::App app("test");
  absl::Duration d = absl::Seconds(90);
  AddDurationFlag(app, "--period", &d, "a period");
  const std::string help = app.help();
  EXPECT_NE(help.find("DURATION"), std::string::npos) << help;
  EXPECT_NE(help.find("1m30s"), std::string::npos) << help;
}

}  // namespace
}  // namespace minik8s
