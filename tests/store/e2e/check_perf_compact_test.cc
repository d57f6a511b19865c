// `etcdctl check perf --load=s --auto-compact` against both backends: after
// its 60 s run etcdctl deletes its keys and compacts physically at the
// delete's revision under a 30 s deadline, then prints its verdicts. The test
// asserts only that the run completes, compaction included (verdicts printed,
// no error, the history before the run compacted away); the throughput
// verdict is not asserted (store_check_perf_test covers it).
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

class CheckPerfCompactTest : public StoreE2ETest {};

TEST_P(CheckPerfCompactTest, SmallLoadWithAutoCompactCompletes) {
  CtlOk({"put", "before-the-check", "1"});  // revision 2, compacted by the check
  CommandResult r =
      backend().Etcdctl({"check", "perf", "--load=s", "--auto-compact"}, "", absl::Seconds(150));
  // The progress bar redraws with carriage returns.
  const std::string text = absl::StrReplaceAll(r.output, {{"\r", "\n"}});
  std::vector<std::string> verdicts;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, "PASS") || absl::StartsWith(line, "FAIL")) {
      verdicts.emplace_back(line);
    }
  }
  const std::string tail = text.substr(text.size() > 2000 ? text.size() - 2000 : 0);
  ASSERT_FALSE(verdicts.empty()) << "no verdict printed (did the compaction fail?):\n" << tail;
  EXPECT_TRUE(verdicts.back() == "PASS" || verdicts.back() == "FAIL") << tail;
  EXPECT_FALSE(absl::StrContains(text, "deadline exceeded")) << tail;
  EXPECT_FALSE(absl::StrContains(text, "Error")) << tail;
  // The compaction happened: the revision written before the run is gone.
  CtlFails({"get", "before-the-check", "--rev=2"}, "required revision has been compacted");
  EXPECT_EQ(CtlOk({"get", "before-the-check", "--print-value-only"}), "1\n");
}

MINIK8S_INSTANTIATE_STORE_E2E(CheckPerfCompactTest);

}  // namespace
}  // namespace minik8s::storetest
