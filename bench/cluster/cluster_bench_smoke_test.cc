// Runs a tiny `cluster_bench` end to end (minik8s up with 20 simulated
// nodes, a Deployment of 60 replicas) and checks that every pod ran, that the
// table, the per-daemon table, the store write census and the timeline are
// printed, and that the cluster was stopped.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "testing/subprocess.h"

namespace minik8s::bench {
namespace {

// The table line whose row name starts with `row` ("| row ..."), or "".
std::string TableLine(const std::string& output, const std::string& row) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, absl::StrCat("| ", row))) return std::string(line);
  }
  return "";
}

TEST(ClusterBenchSmokeTest, SmallRunPrintsEverything) {
  std::vector<std::string> argv = {testing::BinPath("cluster_bench"), "--nodes=20", "--replicas=60",
                                   "--timeout=60", "--sample-interval=0.2"};
  std::string output;
  int rc = testing::RunCommand(argv, &output, absl::Seconds(150));
  ASSERT_EQ(rc, 0) << output;
  EXPECT_TRUE(absl::StrContains(TableLine(output, "nodes Ready"), "20 / 20")) << output;
  EXPECT_TRUE(
      absl::StrContains(TableLine(output, "pods created / bound / Running"), "60 / 60 / 60"))
      << output;
  for (const char* row :
       {"-> all pods Running (s)", "startup p50 / p90 / p99", "API p99, all probe calls (ms)",
        "store put p50 / p99", "peak RSS apiserver (MiB)", "peak RSS control plane, sum (MiB)"}) {
    std::string line = TableLine(output, row);
    ASSERT_FALSE(line.empty()) << "row \"" << row << "\" missing:\n" << output;
    // The value cell (between the last two '|') holds figures, never "-".
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    ASSERT_GE(cells.size(), 3u) << line;
    EXPECT_FALSE(absl::StrContains(cells[cells.size() - 2], " - ") ||
                 absl::StripAsciiWhitespace(cells[cells.size() - 2]) == "-")
        << line;
  }
  EXPECT_TRUE(absl::StrContains(output, "Store writes during the run")) << output;
  EXPECT_TRUE(absl::StrContains(output, "Timeline")) << output;
  EXPECT_TRUE(absl::StrContains(output, "cluster total")) << output;
  EXPECT_FALSE(absl::StrContains(output, "INCOMPLETE")) << output;
  EXPECT_TRUE(absl::StrContains(output, "minik8s up exited normally")) << output;
}

}  // namespace
}  // namespace minik8s::bench
