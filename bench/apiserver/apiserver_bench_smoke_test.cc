// Runs `apiserver_bench --quick --security=off,on` end to end (two store +
// apiserver pairs on loopback, one plaintext, one with TLS, client
// certificates and Node,RBAC) and checks that every front end created pods
// without errors in both modes, that the secured front ends went over TLS,
// that every watcher of the four fan-outs saw every pod, and that the
// comparison and the 10 % target rows are printed. No figure is judged: the
// run is too short and the machine shared.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "testing/subprocess.h"

namespace minik8s::bench {
namespace {

// The table line that starts with `prefix` ("| row ..."), or "".
std::string TableLine(const std::string& output, const std::string& prefix) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, prefix)) return std::string(line);
  }
  return "";
}

// The cells of a table line, trimmed, without the empty ones outside the
// first and last '|'.
std::vector<std::string> Cells(const std::string& line) {
  std::vector<std::string> cells;
  for (absl::string_view cell : absl::StrSplit(line, '|')) {
    cells.emplace_back(absl::StripAsciiWhitespace(cell));
  }
  if (cells.size() >= 2) {
    cells.erase(cells.begin());
    cells.pop_back();
  }
  return cells;
}

TEST(ApiserverBenchSmokeTest, QuickRunComparesSecurityOffAndOn) {
  std::vector<std::string> argv = {testing::BinPath("apiserver_bench"), "--quick",
                                   "--security=off,on", "--watchers=50", "--fanout-pods=50"};
  std::string output;
  int rc = testing::RunCommand(argv, &output, absl::Seconds(220));
  ASSERT_EQ(rc, 0) << output;
  EXPECT_TRUE(absl::StrContains(output, "(quick, security off and security on)")) << output;

  // The comparison: "| front end | off/on | creates | errors | ...".
  for (const char* front_end : {"gRPC (protobuf)", "REST, JSON", "REST, protobuf"}) {
    for (const char* mode : {"off", "on"}) {
      const std::string line = TableLine(output, absl::StrCat("| ", front_end, " | ", mode, " |"));
      ASSERT_FALSE(line.empty()) << front_end << ", " << mode << " missing:\n" << output;
      std::vector<std::string> cells = Cells(line);
      ASSERT_GE(cells.size(), 4u) << line;
      int creates = 0, errors = -1;
      EXPECT_TRUE(absl::SimpleAtoi(cells[2], &creates) && creates > 0) << line;
      EXPECT_TRUE(absl::SimpleAtoi(cells[3], &errors) && errors == 0) << line;
    }
    EXPECT_FALSE(
        TableLine(output, absl::StrCat("| create p99 with security on within 10 % of off, ",
                                       front_end, " (median of "))
            .empty())
        << output;
    // The open-loop row of the secured apiserver names a TLS transport.
    const std::string row = TableLine(output, absl::StrCat("| ", front_end, ", security on |"));
    EXPECT_TRUE(absl::StrContains(row, " TLS ")) << row;
  }

  // Four fan-outs (gRPC and REST, off and on), each complete.
  const std::string header = TableLine(output, "| Fan-out |");
  EXPECT_EQ(Cells(header).size(), 5u) << header;
  std::vector<std::string> established = Cells(TableLine(output, "| watches established |"));
  std::vector<std::string> delivered = Cells(TableLine(output, "| events delivered / expected |"));
  ASSERT_EQ(established.size(), 5u) << output;
  ASSERT_EQ(delivered.size(), 5u) << output;
  for (size_t i = 1; i < 5; ++i) {
    EXPECT_TRUE(absl::StartsWith(established[i], "50 / 50")) << established[i];
    EXPECT_EQ(delivered[i], "2500 / 2500") << header;
  }
  EXPECT_TRUE(absl::StrContains(output, "peak apiserver RSS (VmHWM), security on")) << output;
}

}  // namespace
}  // namespace minik8s::bench
