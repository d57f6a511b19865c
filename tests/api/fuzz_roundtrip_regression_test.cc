// Round trips the fuzz targets (fuzz/codec_fuzzer.cc, fuzz/selector_fuzzer.cc)
// found broken: what is decoded or parsed must print in a form that reads
// back the same.
#include <string>

#include "api/codec.h"
#include "api/selector/fields.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::api {
namespace {

// `memory:` with no value in a resource list is Go's zero Quantity, "0"; it
// was an empty Quantity that printed as "0" and read back as "0".
TEST(FuzzRoundTrip, NullQuantityInAResourceListIsZero) {
  core::v1::ResourceRequirements r;
  ASSERT_TRUE(DecodeInto("requests:\n  cpu: 100m\n  memory:\n", &r).ok());
  EXPECT_EQ(r.requests().at("memory").value(), "0");
  for (const std::string& text : {EncodeJson(r), EncodeYaml(r)}) {
    core::v1::ResourceRequirements back;
    ASSERT_TRUE(DecodeInto(text, &back).ok()) << text;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(r, back)) << text;
  }
}

// `==` and `=` terms sorted raw ("==a" before "=b") printed out of order
// ("=a" after "=b"), so ToString() was not a fixed point.
TEST(FuzzRoundTrip, FieldSelectorPrintsTheSameAfterAReparse) {
  absl::StatusOr<FieldSelector> s = FieldSelector::Parse("spe=,==ind z,=d ,xs = ");
  ASSERT_TRUE(s.ok()) << s.status();
  const std::string once = s->ToString();
  absl::StatusOr<FieldSelector> again = FieldSelector::Parse(once);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->ToString(), once);
  EXPECT_EQ(once, "=d ,=ind z,spe=,xs = ");
}

}  // namespace
}  // namespace minik8s::api
