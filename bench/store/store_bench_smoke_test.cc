// Runs `store_bench --quick` end to end (real daemons on loopback) and checks
// that it prints the full comparison table with figures for each backend.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "testing/subprocess.h"

namespace minik8s::bench {
namespace {

// The table line whose row name starts with `row`, or "".
std::string TableLine(const std::string& output, const std::string& row) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, row)) return std::string(line);
  }
  return "";
}

TEST(StoreBenchSmokeTest, QuickRunPrintsTable) {
  std::vector<std::string> argv = {testing::BinPath("store_bench"), "--quick", "--duration=0.2"};
  std::string output;
  int rc = testing::RunCommand(argv, &output, absl::Seconds(100));
  ASSERT_EQ(rc, 0) << output;
  EXPECT_TRUE(absl::StrContains(output, "minik8s-store")) << output;
  // Columns from the right: ratio, etcd, ours (notes may follow; none
  // expected). A CPU-per-put row of a 0.2 s run may count 0 clock ticks for
  // etcd, so those rows need figures but not a ratio.
  auto check_row = [&](const std::string& row, bool want_ratio) {
    std::string line = TableLine(output, row);
    ASSERT_FALSE(line.empty()) << "row \"" << row << "\" missing:\n" << output;
    std::vector<std::string> cells = absl::StrSplit(line, ' ', absl::SkipEmpty());
    ASSERT_GE(cells.size(), 4u) << line;
    EXPECT_NE(cells[cells.size() - 3], "-") << "no minik8s-store figure: " << line;
    EXPECT_NE(cells[cells.size() - 2], "-") << "no etcd figure: " << line;
    if (want_ratio) {
      EXPECT_NE(cells[cells.size() - 1], "-") << "no ratio: " << line;
    }
  };
  for (const char* row :
       {"put/s, 1 client ", "put p50, 1 client ", "put p99, 16 clients", "range/s single key",
        "range/s prefix of 100 keys", "watch events/s", "put 2000 distinct keys",
        "physical compaction after deleting 2000 keys", "DeleteRange of those 2000 keys",
        "first put right after that DeleteRange", "slowest put during that compaction",
        "slowest range during that compaction", "peak RSS"}) {
    check_row(row, true);
  }
  check_row("daemon CPU per put, 1 client ", false);
  check_row("load generator CPU per put, 16 clients", false);
  EXPECT_FALSE(absl::StrContains(output, "errors")) << output;
  EXPECT_FALSE(absl::StrContains(output, "incomplete")) << output;
}

}  // namespace
}  // namespace minik8s::bench
