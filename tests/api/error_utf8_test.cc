// API errors that quote client input which is not UTF-8 (found by the
// patch and REST fuzz targets): the Status object's strings must be valid
// UTF-8, or protobuf refuses to parse it on the client's side.
#include <string>

#include "api/errors.h"
#include "api/yaml_scalar.h"
#include "gtest/gtest.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::api {
namespace {

TEST(ToValidUtf8, ReplacesEachBadByteAndKeepsGoodText) {
  EXPECT_EQ(ToValidUtf8("plain"), "plain");
  EXPECT_EQ(ToValidUtf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(ToValidUtf8("a\xFF"
                        "b"),
            "a\xEF\xBF\xBD"
            "b");
  // A truncated 3-byte sequence: both bytes replaced.
  EXPECT_EQ(ToValidUtf8("x\xE2\x82"), "x\xEF\xBF\xBD\xEF\xBF\xBD");
  // An overlong '/' and a surrogate are not valid either.
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));
  EXPECT_TRUE(IsValidUtf8(ToValidUtf8("\xC0\xAF\xED\xA0\x80")));
}

TEST(ApiErrors, StatusStringsAreValidUtf8) {
  const std::string bad = "invalid value \"\xFF\xFE\"";
  absl::Status s = NewBadRequest(bad);
  meta::v1::Status st = ToApiStatus(s);
  EXPECT_TRUE(IsValidUtf8(st.message())) << st.message();
  EXPECT_EQ(st.message(), "invalid value \"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  // It survives a round trip through the wire form a client parses.
  meta::v1::Status parsed;
  ASSERT_TRUE(parsed.ParseFromString(st.SerializeAsString()));
  EXPECT_EQ(parsed.reason(), "BadRequest");

  meta::v1::Status plain = ToApiStatus(absl::InternalError(bad));
  EXPECT_TRUE(IsValidUtf8(plain.message()));
}

}  // namespace
}  // namespace minik8s::api
