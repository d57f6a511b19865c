// Runs a tiny `netprog_bench` end to end (minik8s up with 20 simulated
// nodes, a Service over 40 pods) and checks that every pod was programmed by
// the proxy, that the latency rows hold figures and that the per-daemon
// table lists the proxy.
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

TEST(NetprogBenchSmokeTest, SmallRunProgramsEveryPod) {
  std::vector<std::string> argv = {testing::BinPath("netprog_bench"), "--nodes=20", "--replicas=40",
                                   "--timeout=60"};
  std::string output;
  int rc = testing::RunCommand(argv, &output, absl::Seconds(150));
  ASSERT_EQ(rc, 0) << output;
  EXPECT_TRUE(absl::StrContains(TableLine(output, "nodes (simulated) / proxy processes"),
                                "20 / 1 (proxy-sim)"))
      << output;
  EXPECT_TRUE(absl::StrContains(TableLine(output, "pods seen / Ready / in every proxy's rules"),
                                "40 / 40 / 40"))
      << output;
  for (const char* row : {"latency p50/p90/p99/max, Ready lastTransitionTime",
                          "latency p50/p90/p99/max, Ready seen by the bench"}) {
    std::string line = TableLine(output, row);
    ASSERT_FALSE(line.empty()) << "row \"" << row << "\" missing:\n" << output;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    ASSERT_GE(cells.size(), 3u) << line;
    const std::string value(absl::StripAsciiWhitespace(cells[cells.size() - 2]));
    EXPECT_FALSE(absl::StrContains(value, "-")) << line;  // no missing or negative figure
  }
  EXPECT_TRUE(absl::StrContains(output, "\nproxy-sim ")) << output;
  EXPECT_FALSE(absl::StrContains(output, "INCOMPLETE")) << output;
}

}  // namespace
}  // namespace minik8s::bench
