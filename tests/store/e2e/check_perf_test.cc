// `etcdctl check perf` against both backends. Each load runs for 60 s.
//
// What etcdctl 3.4 measures: one generator feeds random 256-byte keys with
// 1 KiB values through a rate limiter (burst 1) to N clients, each its own
// connection, for 60 s; it passes if the achieved rate exceeds 90 % of the
// load's limit, the slowest put took at most 0.5 s and the latency stddev is
// at most 0.1 s.
//
// The small load (50 clients, 150 writes/s) must pass everywhere. The large
// load (500 clients, 8,000 writes/s, so more than 7,200 needed) must pass
// against minik8s-store; a real single-member etcd on a small machine may
// fall short of the throughput figure, which is reported (as a skip) rather
// than failed, since etcd is the yardstick here, not the subject. On a
// loaded 2-core machine etcdctl's own generator is the limit for both
// backends (see bench/README.md, store_bench), so the large load is labelled
// perf and left out of the default test run.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/store/e2e/store_test_base.h"

namespace minik8s::storetest {
namespace {

struct PerfResult {
  CommandResult command;
  std::vector<std::string> verdicts;  // the "PASS: ..."/"FAIL: ..." lines, then PASS or FAIL
};

class CheckPerfTest : public StoreE2ETest {
 protected:
  PerfResult RunCheckPerf(const std::string& load) {
    PerfResult r;
    r.command = backend().Etcdctl({"check", "perf", "--load=" + load}, "", absl::Seconds(150));
    // The progress bar redraws with carriage returns.
    std::string text = absl::StrReplaceAll(r.command.output, {{"\r", "\n"}});
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (absl::StartsWith(line, "PASS") || absl::StartsWith(line, "FAIL")) {
        r.verdicts.emplace_back(line);
      }
    }
    return r;
  }

  static std::string Summary(const PerfResult& r) {
    std::string s = absl::StrJoin(r.verdicts, "\n");
    return s.empty() ? r.command.output.substr(
                           r.command.output.size() > 2000 ? r.command.output.size() - 2000 : 0)
                     : s;
  }
};

TEST_P(CheckPerfTest, SmallLoadPasses) {
  PerfResult r = RunCheckPerf("s");
  ASSERT_FALSE(r.verdicts.empty()) << Summary(r);
  EXPECT_EQ(r.verdicts.back(), "PASS") << Summary(r);
  EXPECT_EQ(r.command.exit_code, 0) << Summary(r);
}

TEST_P(CheckPerfTest, LargeLoadPasses) {
  PerfResult r = RunCheckPerf("l");
  ASSERT_FALSE(r.verdicts.empty()) << Summary(r);
  if (GetParam() == BackendKind::kEtcd && r.verdicts.back() == "FAIL") {
    bool only_throughput = true;
    for (const auto& v : r.verdicts) {
      if (absl::StartsWith(v, "FAIL:") && !absl::StartsWith(v, "FAIL: Throughput too low")) {
        only_throughput = false;
      }
    }
    if (only_throughput) {
      GTEST_SKIP() << "real etcd misses check perf's l-load throughput on this machine:\n"
                   << Summary(r);
    }
  }
  EXPECT_EQ(r.verdicts.back(), "PASS") << Summary(r);
  EXPECT_EQ(r.command.exit_code, 0) << Summary(r);
}

MINIK8S_INSTANTIATE_STORE_E2E(CheckPerfTest);

}  // namespace
}  // namespace minik8s::storetest
