// `mkctl create configmap`'s object: literals, files, folders, binary
// values, and kubectl's errors.
#include "kubectl/cmd/create_configmap.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/temp_dir.h"

namespace minik8s::kubectl {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

void Write(const std::filesystem::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

TEST(CreateConfigMap, LiteralsFilesAndFolders) {
  minik8s::testing::TempDir dir;
  const std::filesystem::path root(dir.path());
  Write(root / "app.properties", "color=blue\n");
  std::filesystem::create_directory(root / "conf");
  Write(root / "conf" / "a.txt", "A");
  Write(root / "conf" / "b.bin", std::string("\xff\xfe\x00", 3));
  std::filesystem::create_directory(root / "conf" / "nested");  // folders are skipped
  absl::StatusOr<core::v1::ConfigMap> cm =
      BuildConfigMap("game", {"mode=easy", "empty=", "eq=a=b"},
                     {(root / "app.properties").string(),
                      "renamed=" + (root / "app.properties").string(), (root / "conf").string()});
  ASSERT_TRUE(cm.ok()) << cm.status();
  EXPECT_EQ(cm->kind(), "ConfigMap");
  EXPECT_EQ(cm->metadata().name(), "game");
  EXPECT_THAT(cm->data(),
              UnorderedElementsAre(Pair("mode", "easy"), Pair("empty", ""), Pair("eq", "a=b"),
                                   Pair("app.properties", "color=blue\n"),
                                   Pair("renamed", "color=blue\n"), Pair("a.txt", "A")));
  EXPECT_THAT(cm->binary_data(),
              UnorderedElementsAre(Pair("b.bin", std::string("\xff\xfe\x00", 3))));
}

TEST(CreateConfigMap, KubectlsErrors) {
  EXPECT_THAT(BuildConfigMap("x", {"novalue"}, {}).status().message(),
              HasSubstr("invalid literal source novalue, expected key=value"));
  EXPECT_THAT(BuildConfigMap("x", {"=v"}, {}).status().message(),
              HasSubstr("invalid literal source =v, expected key=value"));
  EXPECT_THAT(
      BuildConfigMap("x", {"a=1", "a=2"}, {}).status().message(),
      HasSubstr("cannot add key a, another key by that name already exists in Data for ConfigMap "
                "\"x\""));
  absl::Status missing = BuildConfigMap("x", {}, {"/nonexistent/file"}).status();
  EXPECT_TRUE(absl::IsNotFound(missing)) << missing;
  EXPECT_THAT(missing.message(), HasSubstr("/nonexistent/file"));
  minik8s::testing::TempDir dir;
  EXPECT_THAT(BuildConfigMap("x", {}, {"k=" + dir.path()}).status().message(),
              HasSubstr("cannot give a key name for a directory path"));
  Write(std::filesystem::path(dir.path()) / "big", std::string((1 << 20) + 1, 'x'));
  EXPECT_THAT(BuildConfigMap("x", {}, {dir.path() + "/big"}).status().message(),
              HasSubstr("over the 1 MiB a ConfigMap holds"));
}

}  // namespace
}  // namespace minik8s::kubectl
