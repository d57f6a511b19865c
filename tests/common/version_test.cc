// The generated common/version.h: one consistent, semver-valid version.
#include "common/version.h"

#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace minik8s::version {
namespace {

TEST(Version, GitVersionIsSemverWithKubernetesMajorMinor) {
  const std::string v = kGitVersion;
  // semver.org 2.0.0: MAJOR.MINOR.PATCH, pre-release identifiers that are
  // alphanumerics/hyphens, numeric ones without leading zeros.
  static const std::regex kSemver(
      R"(v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*))"
      R"((-((0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?)");
  EXPECT_TRUE(std::regex_match(v, kSemver)) << v;
  EXPECT_EQ(v.rfind(absl::StrCat("v", kMajor, ".", kMinor, "."), 0), 0u) << v;
  EXPECT_NE(v.find(absl::StrCat("-minik8s.", kProjectVersion)), std::string::npos) << v;
  EXPECT_FALSE(std::string(kMajor).empty());
  EXPECT_FALSE(std::string(kMinor).empty());
  EXPECT_EQ(std::string(kBuildDate).size(), std::string("1970-01-01T00:00:00Z").size());
}

}  // namespace
}  // namespace minik8s::version
