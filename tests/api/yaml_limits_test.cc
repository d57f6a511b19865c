// api::LoadLimited / LoadAllLimited: hostile YAML and JSON (alias bombs,
// cycles, deep nesting, oversized input) is refused while it is parsed, with
// the limit named and without the process growing; ordinary manifests load
// exactly as YAML::LoadAll loads them.
#include "api/yaml_limits.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace minik8s::api {
namespace {

namespace fs = std::filesystem;

// Resident set size of this process, from /proc/self/statm.
size_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Generous: refusals must not allocate. Under AddressSanitizer freed memory
// stays in its quarantine (up to 256 MiB) and RSS says nothing about what the
// code keeps, so the bound is checked in the normal build only.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)  // clang's spelling
#define MINIK8S_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(MINIK8S_UNDER_ASAN)  // GCC's, clang's
constexpr size_t kRssSlack = size_t{1} << 40;
#else
constexpr size_t kRssSlack = 50u << 20;
#endif

// The measured case: a JSON merge patch holding one 100 KB anchored string
// and `aliases` references to it.
std::string BigAnchorBomb(int aliases) {
  std::string text = absl::StrCat(R"({"metadata":{"annotations":{"a":&x ")",
                                  std::string(100 * 1024, 'x'), R"("}},"spec":[)");
  for (int i = 0; i < aliases; ++i) absl::StrAppend(&text, i ? ",*x" : "*x");
  return text + "]}";
}

// "Billion laughs": each level lists `fan` aliases of the level below.
std::string BillionLaughs(int levels, int fan) {
  std::string text = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int level = 1; level <= levels; ++level) {
    absl::StrAppend(&text, "l", level, ": &l", level, " [");
    for (int i = 0; i < fan; ++i) absl::StrAppend(&text, i ? ", " : "", "*l", level - 1);
    absl::StrAppend(&text, "]\n");
  }
  return text;
}

// A block mapping `a:` nested `depth` levels deep.
std::string DeepBlockMap(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) absl::StrAppend(&text, std::string(i, ' '), "a:\n");
  return text + std::string(depth, ' ') + "leaf\n";
}

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

void ExpectRefused(const absl::StatusOr<YAML::Node>& result, const std::string& message) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find(message), absl::string_view::npos)
      << result.status().message();
}

TEST(YamlLimits, DefaultsAreTheDocumentedOnes) {
  const YamlLimits& d = DefaultYamlLimits();
  EXPECT_EQ(d.max_depth, 256u);
  EXPECT_EQ(d.max_alias_expansion, 100000u);
  EXPECT_EQ(d.max_nodes, 1000000u);
  EXPECT_EQ(d.max_bytes, 16u << 20);
}

TEST(YamlLimits, BigAnchorAliasBombRefusedWithoutGrowing) {
  const std::string bomb = BigAnchorBomb(20000);
  const size_t before = RssBytes();
  for (int i = 0; i < 3; ++i) {
    ExpectRefused(LoadLimited(bomb), "aliases would expand the document beyond 16777216 bytes");
    absl::StatusOr<std::vector<YAML::Node>> all = LoadAllLimited(bomb);
    ASSERT_FALSE(all.ok());
    EXPECT_NE(all.status().message().find("aliases would expand"), absl::string_view::npos);
  }
  EXPECT_LT(RssBytes(), before + kRssSlack);
}

TEST(YamlLimits, BigAnchorErrorNamesTheAliasPosition) {
  absl::StatusOr<YAML::Node> result = LoadLimited(BigAnchorBomb(20000));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message().rfind("line 1, column ", 0), 0u) << result.status();
}

TEST(YamlLimits, BillionLaughsRefusedWithoutGrowing) {
  const std::string bomb = BillionLaughs(9, 10);  // 10^10 nodes expanded
  ASSERT_LT(bomb.size(), 1000u);
  const size_t before = RssBytes();
  ExpectRefused(LoadLimited(bomb), "aliases would expand the document by more than 100000 nodes");
  EXPECT_LT(RssBytes(), before + kRssSlack);
}

TEST(YamlLimits, AliasesWithinBudgetStillWork) {
  absl::StatusOr<YAML::Node> node = LoadLimited(
      "defaults: &defaults {cpu: 100m, memory: 64Mi}\n"
      "web: *defaults\n"
      "api: *defaults\n"
      "name: &n shop\n"
      "copy: *n\n");
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ((*node)["web"]["cpu"].Scalar(), "100m");
  EXPECT_EQ((*node)["api"]["memory"].Scalar(), "64Mi");
  EXPECT_EQ((*node)["copy"].Scalar(), "shop");

  // Three levels of ten-fold laughs: 12,330 nodes from aliases, inside the budget.
  absl::StatusOr<YAML::Node> laughs = LoadLimited(BillionLaughs(3, 10));
  ASSERT_TRUE(laughs.ok()) << laughs.status();
  EXPECT_EQ((*laughs)["l3"][9][9][9][9].Scalar(), "lol");
}

TEST(YamlLimits, AliasBudgetCountsExpandedNodes) {
  // l0 is 11 nodes, l1 = 1 + 10 * 11 = 111, l2 = 1,111: the aliases in l1,
  // l2 and l3 add 10 * (11 + 111 + 1,111) = 12,330 nodes.
  YamlLimits limits = DefaultYamlLimits();
  limits.max_alias_expansion = 12329;
  ExpectRefused(LoadLimited(BillionLaughs(3, 10), limits),
                "aliases would expand the document by more than 12329 nodes");
  limits.max_alias_expansion = 12330;
  EXPECT_TRUE(LoadLimited(BillionLaughs(3, 10), limits).ok());
}

TEST(YamlLimits, AliasCycleRefused) {
  ExpectRefused(LoadLimited("a: &a [1, *a]\n"),
                "an alias refers to the collection that contains it");
  ExpectRefused(LoadLimited("&m {self: *m}"), "an alias refers to the collection that contains it");
}

TEST(YamlLimits, MillionLevelFlowNestingRefusedWithoutGrowing) {
  const std::string open(1000000, '[');
  std::string objects;
  for (int i = 0; i < 200000; ++i) objects += R"({"a":)";
  const size_t before = RssBytes();
  ExpectRefused(LoadLimited(open), "the document nests deeper than 256 levels");
  ExpectRefused(LoadLimited(Nested(1000000)), "the document nests deeper than 256 levels");
  ExpectRefused(LoadLimited(objects), "the document nests deeper than 256 levels");
  absl::StatusOr<std::vector<YAML::Node>> all = LoadAllLimited(open);
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.status().message().find("nests deeper than 256 levels"), absl::string_view::npos);
  EXPECT_LT(RssBytes(), before + kRssSlack);
}

TEST(YamlLimits, DepthLimitIsExact) {
  EXPECT_TRUE(LoadLimited(Nested(256)).ok());
  ExpectRefused(LoadLimited(Nested(257)), "line 1, column 257: yaml: the document nests deeper");
  YamlLimits limits = DefaultYamlLimits();
  limits.max_depth = 3;
  EXPECT_TRUE(LoadLimited("{a: [{b: 1}]}", limits).ok());
  ExpectRefused(LoadLimited("{a: [{b: [1]}]}", limits), "nests deeper than 3 levels");
}

TEST(YamlLimits, DeepBlockNestingRefused) {
  EXPECT_TRUE(LoadLimited(DeepBlockMap(200)).ok());
  ExpectRefused(LoadLimited(DeepBlockMap(300)), "line 257, column 257: yaml: the document nests");
  // Compact block sequences on one line: `- - - - ... x`.
  std::string dashes;
  for (int i = 0; i < 100000; ++i) dashes += "- ";
  ExpectRefused(LoadLimited(dashes + "x"), "the document nests deeper than 256 levels");
}

TEST(YamlLimits, AliasesCountAtTheDepthTheyAreUsed) {
  const std::string anchor = absl::StrCat("a: &d ", Nested(200), "\n");
  EXPECT_TRUE(LoadLimited(anchor + "b: " + Nested(50) + "\n").ok());
  std::string deeper = anchor + "b: " + std::string(100, '[') + "*d" + std::string(100, ']');
  ExpectRefused(LoadLimited(deeper), "aliases would nest the document deeper than 256 levels");
}

TEST(YamlLimits, NodeAndByteLimits) {
  YamlLimits limits = DefaultYamlLimits();
  limits.max_nodes = 10;
  EXPECT_TRUE(LoadLimited("[1, 2, 3, 4, 5, 6, 7, 8, 9]", limits).ok());  // 10 nodes
  ExpectRefused(LoadLimited("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", limits),
                "the document has more than 10 nodes");
  ExpectRefused(LoadLimited("a: &a [1, 2, 3]\nb: *a\nc: *a\n", limits),
                "aliases would expand the document beyond 10 nodes");

  limits = DefaultYamlLimits();
  limits.max_bytes = 64;
  ExpectRefused(LoadLimited(std::string(65, ' '), limits),
                "yaml: the input is larger than 64 bytes");
  // 20 bytes, then three aliases of it.
  ExpectRefused(LoadLimited("[&s xxxxxxxxxxxxxxxxxxxx, *s, *s, *s]", limits),
                "line 1, column 35: yaml: aliases would expand the document beyond 64 bytes");
  ExpectRefused(LoadLimited("[&s xxxxxxxxxxxxxxxxxxxx, *s, *s, yyyyyyyyyy]", limits),
                "the document decodes to more than 64 bytes");
}

TEST(YamlLimits, LimitsCoverEveryDocumentTogether) {
  YamlLimits limits = DefaultYamlLimits();
  limits.max_nodes = 5;
  EXPECT_TRUE(LoadAllLimited("[1, 2]\n---\n[3]\n", limits).ok());  // 5 nodes
  absl::StatusOr<std::vector<YAML::Node>> all = LoadAllLimited("[1, 2]\n---\n[3, 4]\n", limits);
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.status().message().find("more than 5 nodes"), absl::string_view::npos);
  // LoadLimited reads the first document only, as YAML::Load does.
  EXPECT_TRUE(LoadLimited("[1, 2]\n---\n[3, 4]\n", limits).ok());
}

TEST(YamlLimits, AnchorsBelongToTheirDocument) {
  absl::StatusOr<std::vector<YAML::Node>> docs =
      LoadAllLimited("a: &x [1, 2]\nb: *x\n---\nc: &x 7\nd: *x\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0]["b"][1].Scalar(), "2");
  EXPECT_EQ((*docs)[1]["d"].Scalar(), "7");
}

TEST(YamlLimits, BracketsInQuotesCommentsAndPlainTextDoNotCountAsNesting) {
  const std::string many(20000, '[');
  const std::string quoted = absl::StrCat(R"({"a": ")", many, R"(", "b": ')", many, "'}");
  absl::StatusOr<YAML::Node> node = LoadLimited(quoted);
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ((*node)["a"].Scalar(), many);
  EXPECT_TRUE(LoadLimited(absl::StrCat("# ", many, "\nkey: value\n")).ok());
  // Escaped quotes do not end a quoted scalar early.
  EXPECT_TRUE(LoadLimited(absl::StrCat(R"(["\")", many, R"(", 'it''s )", many, "']")).ok());
  // Brackets inside a block scalar or a plain scalar are text; unbalanced
  // ones count only past the loose pre-scan bound.
  EXPECT_TRUE(LoadLimited(absl::StrCat("script: |\n  if [ -f x ]; then echo ",
                                       std::string(300, '['), "\n  fi\nregex: a[b\n"))
                  .ok());
}

TEST(YamlLimits, SyntaxErrorsAreStatusesNotExceptions) {
  absl::StatusOr<YAML::Node> node = LoadLimited("{a: [1, 2}");
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(node.status().message().find("yaml: "), absl::string_view::npos);
  EXPECT_FALSE(LoadAllLimited("a: *unknown\n").ok());
  EXPECT_FALSE(LoadAllLimited("a: b\n c: d\n").ok());
}

TEST(YamlLimits, EmptyInputIsANullDocument) {
  absl::StatusOr<YAML::Node> node = LoadLimited("");
  ASSERT_TRUE(node.ok());
  EXPECT_TRUE(node->IsNull());
  absl::StatusOr<std::vector<YAML::Node>> all = LoadAllLimited("");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(YamlLimits, ExampleManifestsLoadExactlyAsBefore) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(MINIK8S_SOURCE_DIR) / "examples")) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    const std::string text = ReadFile(entry.path());
    absl::StatusOr<std::vector<YAML::Node>> limited = LoadAllLimited(text);
    ASSERT_TRUE(limited.ok()) << entry.path() << ": " << limited.status();
    const std::vector<YAML::Node> plain = YAML::LoadAll(text);
    ASSERT_EQ(limited->size(), plain.size()) << entry.path();
    for (size_t i = 0; i < plain.size(); ++i) {
      EXPECT_EQ(YAML::Dump((*limited)[i]), YAML::Dump(plain[i])) << entry.path() << " #" << i;
      EXPECT_EQ((*limited)[i].Mark().line, plain[i].Mark().line);
    }
  }
  EXPECT_GT(files, 0);
}

}  // namespace
}  // namespace minik8s::api
