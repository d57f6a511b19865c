#include "store/revision.h"

#include <random>

#include "gtest/gtest.h"

namespace minik8s::store {
namespace {

TEST(Revision, EncodingOrderEqualsRevisionOrder) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    Revision a{static_cast<int64_t>(rng() % 100000), static_cast<int64_t>(rng() % 300)};
    Revision b{static_cast<int64_t>(rng() % 100000), static_cast<int64_t>(rng() % 300)};
    EXPECT_EQ(a < b, EncodeRevision(a) < EncodeRevision(b)) << a.main << "." << a.sub;
  }
  EXPECT_LT(EncodeRevision({255, 0}), EncodeRevision({256, 0}));
  EXPECT_LT(EncodeRevision({1, 70000}), EncodeRevision({2, 0}));
}

TEST(Revision, RoundTripAndTombstone) {
  Revision r{123456789012, 42}, out;
  bool tomb = true;
  ASSERT_TRUE(DecodeRevision(EncodeRevision(r), &out, &tomb));
  EXPECT_EQ(out, r);
  EXPECT_FALSE(tomb);
  ASSERT_TRUE(DecodeRevision(EncodeRevision(r, true), &out, &tomb));
  EXPECT_TRUE(tomb);
  EXPECT_EQ(EncodeRevision(r).size(), 16u);
  EXPECT_FALSE(DecodeRevision("short", &out, &tomb));
  EXPECT_FALSE(DecodeRevision(EncodeRevision(r) + "x", &out, &tomb));
}

// The on-disk key format: existing data dirs depend on these exact bytes.
TEST(Revision, EncodingIsBigEndianMainThenSub) {
  const Revision r{0x0102030405060708, 0x1112131415161718};
  const std::string want("\x01\x02\x03\x04\x05\x06\x07\x08\x11\x12\x13\x14\x15\x16\x17\x18", 16);
  EXPECT_EQ(EncodeRevision(r), want);
  EXPECT_EQ(EncodeRevision(r, /*tombstone=*/true), want + "t");
  char buf[kRevisionBytes + 1];
  ASSERT_EQ(EncodeRevisionTo(r, /*tombstone=*/true, buf), 17u);
  EXPECT_EQ(std::string(buf, 17), want + "t");
  ASSERT_EQ(EncodeRevisionTo(r, /*tombstone=*/false, buf), 16u);
  EXPECT_EQ(std::string(buf, 16), want);
}

}  // namespace
}  // namespace minik8s::store
