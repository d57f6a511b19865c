#include "api/intstr.h"

#include "gtest/gtest.h"

namespace minik8s::api {
namespace {

TEST(IntOrString, ScaledValueFromIntOrPercent) {
  struct Case {
    minik8s::meta::v1::IntOrString value;
    int total;
    bool round_up;
    int want;
  };
  const Case cases[] = {
      {IntOrStringFromInt(3), 10, true, 3},
      {IntOrStringFromInt(3), 10, false, 3},
      {IntOrStringFromString("25%"), 10, true, 3},   // 2.5 rounds up (maxSurge)
      {IntOrStringFromString("25%"), 10, false, 2},  // 2.5 rounds down (maxUnavailable)
      {IntOrStringFromString("25%"), 4, true, 1},
      {IntOrStringFromString("25%"), 4, false, 1},
      {IntOrStringFromString("25%"), 1, true, 1},
      {IntOrStringFromString("25%"), 1, false, 0},
      {IntOrStringFromString("100%"), 7, false, 7},
      {IntOrStringFromString("0%"), 7, true, 0},
      {IntOrStringFromString("150%"), 3, true, 5},
      {IntOrStringFromString("33%"), 100, true, 33},
      {IntOrStringFromString("-10%"), 15, false, -2},
      {IntOrStringFromString("-10%"), 15, true, -1},
      {minik8s::meta::v1::IntOrString(), 10, true, 0},  // unset = int 0
  };
  for (const auto& c : cases) {
    absl::StatusOr<int> got = GetScaledValueFromIntOrPercent(&c.value, c.total, c.round_up);
    ASSERT_TRUE(got.ok()) << IntOrStringToString(c.value) << ": " << got.status();
    EXPECT_EQ(*got, c.want) << IntOrStringToString(c.value) << " of " << c.total
                            << (c.round_up ? " rounded up" : " rounded down");
  }
}

TEST(IntOrString, ScaledValueErrors) {
  EXPECT_EQ(GetScaledValueFromIntOrPercent(nullptr, 10, true).status().message(),
            "nil value for IntOrString");
  auto not_percent = IntOrStringFromString("25");
  EXPECT_EQ(GetScaledValueFromIntOrPercent(&not_percent, 10, true).status().message(),
            "invalid value for IntOrString: invalid type: string is not a percentage");
  for (const char* bad : {"%", "abc%", "2.5%", "1 %"}) {
    auto v = IntOrStringFromString(bad);
    absl::StatusOr<int> got = GetScaledValueFromIntOrPercent(&v, 10, true);
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(got.status()));
    EXPECT_NE(got.status().message().find(std::string("invalid value \"") + bad + "\""),
              std::string::npos)
        << got.status();
  }
}

TEST(IntOrString, Printing) {
  EXPECT_EQ(IntOrStringToString(IntOrStringFromInt(8080)), "8080");
  EXPECT_EQ(IntOrStringToString(IntOrStringFromString("http")), "http");
  EXPECT_TRUE(IsString(IntOrStringFromString("25%")));
  EXPECT_FALSE(IsString(IntOrStringFromInt(0)));
}

}  // namespace
}  // namespace minik8s::api
