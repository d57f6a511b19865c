// Inputs the fuzzers (fuzz/) found, fed to the function that misbehaved.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "api/codec.h"
#include "api/yaml_limits.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace minik8s::api {
namespace {

using ::testing::HasSubstr;

// yaml-cpp answers a stray `,` after a top-level node with an endless run
// of empty documents; the limits used to stop it only after a million nodes
// (seconds of CPU and hundreds of MiB for a two-byte body).
TEST(YamlFuzzRegression, StrayCommaAfterTheDocumentIsRefusedAtOnce) {
  for (const std::string text :
       {std::string(","), std::string(",\x02"), std::string("{\"a\":1},"), std::string("\"x\",")}) {
    absl::StatusOr<std::vector<YAML::Node>> docs = LoadAllLimited(text);
    ASSERT_FALSE(docs.ok()) << text;
    EXPECT_THAT(docs.status().message(), HasSubstr("did not find expected node content")) << text;
    EXPECT_THAT(std::string(docs.status().message()), ::testing::Not(HasSubstr("nodes")));
  }
  absl::StatusOr<std::vector<DecodedObject>> objects = DecodeAll(",\x02");
  ASSERT_FALSE(objects.ok());
  EXPECT_THAT(objects.status().message(), HasSubstr("did not find expected node content"));
}

TEST(YamlFuzzRegression, DocumentsThatFollowEachOtherStillLoad) {
  absl::StatusOr<std::vector<YAML::Node>> docs = LoadAllLimited("a: 1\n---\nb: 2\n---\n---\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_EQ(docs->size(), 4u);
  docs = LoadAllLimited("--- \n--- 1\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_EQ(docs->size(), 2u);
}

}  // namespace
}  // namespace minik8s::api
