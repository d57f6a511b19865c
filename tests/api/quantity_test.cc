#include "api/quantity.h"

#include <string>

#include "gtest/gtest.h"

namespace minik8s::api {
namespace {

struct CanonicalCase {
  const char* input;
  const char* canonical;
};

// Canonical forms as Kubernetes' resource.Quantity prints them.
TEST(Quantity, ParsesAndPrintsCanonicalForm) {
  const CanonicalCase cases[] = {
      {"0", "0"},
      {"0m", "0"},
      {"0Mi", "0"},
      {"1", "1"},
      {"2", "2"},
      {"500m", "500m"},
      {"0.5", "500m"},
      {"1.5", "1500m"},
      {"1000m", "1"},
      {"1500m", "1500m"},
      {"100m", "100m"},
      {"0.1", "100m"},
      {"1000", "1k"},
      {"1200", "1200"},
      {"1500k", "1500k"},
      {"1M", "1M"},
      {"1000k", "1M"},
      {"128Mi", "128Mi"},
      {"1024Mi", "1Gi"},
      {"1Gi", "1Gi"},
      {"1.5Gi", "1536Mi"},
      {"0.5Gi", "512Mi"},
      {"1Ki", "1Ki"},
      {"0.5Ki", "512"},
      {"1023", "1023"},
      {"1025Ki", "1025Ki"},
      {"8Ei", "8Ei"},
      {"1e3", "1e3"},
      {"1E3", "1e3"},
      {"1.5e3", "1500"},
      {"1e-3", "1e-3"},
      {"100e-3", "100e-3"},
      {"1e0", "1"},
      {"12e6", "12e6"},
      {"5n", "5n"},
      {"1u", "1u"},
      {"1000n", "1u"},
      {"0.1n", "1n"},
      {"-1", "-1"},
      {"-500m", "-500m"},
      {"-1.5Gi", "-1536Mi"},
      {"+2", "2"},
      {".5", "500m"},
      {"5.", "5"},
      {"3800m", "3800m"},
      {"7680Mi", "7680Mi"},
      {"1P", "1P"},
      {"1E", "1E"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<Quantity> q = Quantity::Parse(c.input);
    ASSERT_TRUE(q.ok()) << c.input << ": " << q.status();
    EXPECT_EQ(q->String(), c.canonical) << "input " << c.input;
    // The canonical form parses back to the same value and prints the same.
    absl::StatusOr<Quantity> again = Quantity::Parse(q->String());
    ASSERT_TRUE(again.ok()) << q->String();
    EXPECT_EQ(*again, *q) << c.input;
    EXPECT_EQ(again->String(), c.canonical) << c.input;
  }
}

TEST(Quantity, RejectsMalformedInput) {
  const char* bad[] = {"",    "m",    "Mi",  "1.2.3", "1K",   "1KB",  "1 Gi", "abc", "1e",
                       "1e+", "1ee3", "--1", "1Mi5",  "0x10", "1.5.", "1iM",  "1k1"};
  for (const char* input : bad) {
    absl::StatusOr<Quantity> q = Quantity::Parse(input);
    ASSERT_FALSE(q.ok()) << "accepted \"" << input << "\" as " << q->String();
    EXPECT_EQ(q.status().message(),
              "quantities must match the regular expression "
              "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
        << input;
  }
}

TEST(Quantity, RejectsValuesTooLargeToRepresent) {
  EXPECT_FALSE(Quantity::Parse("100000000000000000000000000000000").ok());
  EXPECT_FALSE(Quantity::Parse("1e400").ok());
  EXPECT_TRUE(Quantity::Parse("1e-400").ok());
}

TEST(Quantity, ValueAndMilliValueRoundUpAwayFromZero) {
  struct Case {
    const char* input;
    int64_t value;
    int64_t milli;
  };
  const Case cases[] = {
      {"1", 1, 1000},
      {"500m", 1, 500},
      {"1500m", 2, 1500},
      {"0.1", 1, 100},
      {"1n", 1, 1},
      {"1001u", 1, 2},
      {"128Mi", 134217728, 134217728000},
      {"1Gi", 1073741824, 1073741824000},
      {"-500m", -1, -500},
      {"-1n", -1, -1},
      {"0", 0, 0},
      {"2k", 2000, 2000000},
      {"1e3", 1000, 1000000},
  };
  for (const auto& c : cases) {
    Quantity q = Quantity::MustParse(c.input);
    EXPECT_EQ(q.Value(), c.value) << c.input;
    EXPECT_EQ(q.MilliValue(), c.milli) << c.input;
  }
  EXPECT_EQ(Quantity::MustParse("8Ei").MilliValue(), INT64_MAX);  // saturates
}

TEST(Quantity, Arithmetic) {
  Quantity total = Quantity::MustParse("250m");
  total.Add(Quantity::MustParse("0.5"));
  EXPECT_EQ(total.String(), "750m");
  EXPECT_EQ(total.MilliValue(), 750);
  total.Add(Quantity::MustParse("250m"));
  EXPECT_EQ(total.String(), "1");
  total.Sub(Quantity::MustParse("2"));
  EXPECT_EQ(total.String(), "-1");
  EXPECT_EQ(total.Sign(), -1);

  // Format of the left operand wins unless it is zero.
  Quantity mem = Quantity::MustParse("512Mi");
  mem.Add(Quantity::MustParse("512Mi"));
  EXPECT_EQ(mem.String(), "1Gi");
  Quantity zero;
  zero.Add(Quantity::MustParse("1Gi"));
  EXPECT_EQ(zero.String(), "1Gi");
  EXPECT_EQ((Quantity::MustParse("1Gi") - Quantity::MustParse("512Mi")).String(), "512Mi");

  EXPECT_TRUE(Quantity::MustParse("1") == Quantity::MustParse("1000m"));
  EXPECT_TRUE(Quantity::MustParse("999m") < Quantity::MustParse("1"));
  EXPECT_TRUE(Quantity::MustParse("1Ki") > Quantity::MustParse("1k"));
  EXPECT_EQ(Quantity::MustParse("1Ki").Cmp(Quantity::MustParse("1024")), 0);
  EXPECT_TRUE(Quantity().IsZero());
}

TEST(Quantity, FactoriesAndProto) {
  EXPECT_EQ(Quantity::FromMilli(1500).String(), "1500m");
  EXPECT_EQ(Quantity::FromInt(2048, Quantity::Format::kBinarySI).String(), "2Ki");
  EXPECT_EQ(Quantity::FromInt(110).String(), "110");
  EXPECT_EQ(Quantity::MustParse("0.25").ToProto().value(), "250m");
  minik8s::meta::v1::Quantity proto;
  EXPECT_TRUE(Quantity::FromProto(proto)->IsZero());
  proto.set_value("bogus");
  EXPECT_FALSE(Quantity::FromProto(proto).ok());
  EXPECT_TRUE(QuantityOrZero(proto).IsZero());
}

}  // namespace
}  // namespace minik8s::api
