// `mkctl logs -l SELECTOR` (with --prefix, --all-containers, -f and
// --max-log-requests) against running containers: one `minik8s up` cluster
// (one node, minik8s-store) for the whole suite; pods whose commands the
// fake runtime simulates (runtime/README.md) print known lines. Skips when
// a binary is not built.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::TableRows;
using ::minik8s::testing::WaitFor;
using ::testing::ElementsAre;

// A pod labelled app=APP whose containers (name, script) run `sh -c SCRIPT`.
std::string LabelledPod(const std::string& name, const std::string& app,
                        const std::vector<std::pair<std::string, std::string>>& containers,
                        const std::string& restart_policy = "Always") {
  std::string yaml = absl::StrCat(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ", name, "\n  labels:\n    app: ", app,
      "\nspec:\n  restartPolicy: ", restart_policy, "\n  containers:\n");
  for (const auto& [container, script] : containers) {
    absl::StrAppend(&yaml, "  - name: ", container,
                    "\n    image: busybox:1.36\n    command: [\"sh\", \"-c\", \"", script, "\"]\n");
  }
  return yaml;
}

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  std::sort(lines.begin(), lines.end());
  return lines;
}

class LogsSelectorE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string missing = ClusterHarness::MissingPrerequisite(BackendKind::kMinik8sStore);
    if (!missing.empty()) {
      skip_reason_ = new std::string(missing);
      return;
    }
    cluster_ = new ClusterHarness(
        ClusterHarness::Options{.backend = BackendKind::kMinik8sStore,
                                .nodes = 1,
                                .up_flags = {"--kubelet-arg=--relist-period=200ms"}});
    absl::Status s = cluster_->Start();
    ASSERT_TRUE(s.ok()) << s << cluster_->Diagnostics();
  }

  static void TearDownTestSuite() {
    delete cluster_;
    delete skip_reason_;
    cluster_ = nullptr;
    skip_reason_ = nullptr;
  }

  void SetUp() override {
    if (skip_reason_ != nullptr) GTEST_SKIP() << *skip_reason_;
    ASSERT_NE(cluster_, nullptr);
  }

  void TearDown() override {
    if (HasFailure() && cluster_ != nullptr) std::cerr << cluster_->Diagnostics();
  }

  int Mkctl(std::vector<std::string> args, std::string* out, const std::string& stdin_data = "") {
    return cluster_->Mkctl(std::move(args), out, stdin_data);
  }
  std::string MkctlOk(std::vector<std::string> args, const std::string& stdin_data = "") {
    std::string out;
    EXPECT_EQ(Mkctl(args, &out, stdin_data), 0) << "mkctl " << absl::StrJoin(args, " ") << "\n"
                                                << out;
    return out;
  }

  void WaitForStatus(const std::string& name, const std::vector<std::string>& statuses) {
    std::string out;
    ASSERT_TRUE(WaitFor(
        [&] {
          if (Mkctl({"get", "pod", name}, &out) != 0) return false;
          auto rows = TableRows(out);
          return rows.size() == 1 && rows[0].size() > 2 &&
                 std::find(statuses.begin(), statuses.end(), rows[0][2]) != statuses.end();
        },
        absl::Seconds(60)))
        << out;
  }

  // Waits until `mkctl ARGS` prints `want` (the lines are written right
  // after the containers start).
  void ExpectLogs(const std::vector<std::string>& args, const std::string& want) {
    std::string out;
    EXPECT_TRUE(WaitFor([&] { return Mkctl(args, &out) == 0 && out == want; }, absl::Seconds(30)))
        << "mkctl " << absl::StrJoin(args, " ") << "\n"
        << out;
  }

  static std::string* skip_reason_;
  static ClusterHarness* cluster_;
};

std::string* LogsSelectorE2E::skip_reason_ = nullptr;
ClusterHarness* LogsSelectorE2E::cluster_ = nullptr;

TEST_F(LogsSelectorE2E, SelectorPrintsEachPodInTurnWithPrefixes) {
  for (const std::string name : {"multi-c", "multi-a", "multi-b"}) {
    MkctlOk({"apply", "-f", "-"},
            LabelledPod(
                name, "multi",
                {{"main", absl::StrCat("echo ", name, " one; echo ", name, " two; sleep 3600")}}));
  }
  for (const std::string name : {"multi-a", "multi-b", "multi-c"}) {
    ASSERT_NO_FATAL_FAILURE(WaitForStatus(name, {"Running"}));
  }
  ExpectLogs({"logs", "-l", "app=multi", "--prefix"},
             "[pod/multi-a/main] multi-a one\n[pod/multi-a/main] multi-a two\n"
             "[pod/multi-b/main] multi-b one\n[pod/multi-b/main] multi-b two\n"
             "[pod/multi-c/main] multi-c one\n[pod/multi-c/main] multi-c two\n");
  EXPECT_EQ(MkctlOk({"logs", "-l", "app=multi", "--tail", "1"}),
            "multi-a two\nmulti-b two\nmulti-c two\n");
  // --prefix works for a single pod too.
  EXPECT_EQ(MkctlOk({"logs", "multi-a", "--prefix"}),
            "[pod/multi-a/main] multi-a one\n[pod/multi-a/main] multi-a two\n");

  // Following three streams with room for two is refused, as kubectl does.
  std::string out;
  EXPECT_EQ(Mkctl({"logs", "-f", "-l", "app=multi", "--max-log-requests", "2"}, &out), 1);
  EXPECT_EQ(out,
            "error: you are attempting to follow 3 log streams, but maximum allowed concurrency "
            "is 2, use --max-log-requests to increase the limit\n");
  EXPECT_EQ(Mkctl({"logs", "multi-a", "-l", "app=multi"}, &out), 1);
  EXPECT_EQ(out, "error: only a selector (-l) or a POD name is allowed\n");
}

TEST_F(LogsSelectorE2E, NoMatchingPodsIsNotAnError) {
  std::string out;
  EXPECT_EQ(Mkctl({"logs", "-l", "app=nothing-has-this"}, &out), 0);
  EXPECT_EQ(out, "No resources found in default namespace.\n");
}

TEST_F(LogsSelectorE2E, FollowsSeveralStreamsAtOnceUntilTheyEnd) {
  for (const std::string name : {"fin-a", "fin-b"}) {
    MkctlOk(
        {"apply", "-f", "-"},
        LabelledPod(name, "fin",
                    {{"main", absl::StrCat("echo ", name, " start; sleep 2; echo ", name, " end")}},
                    "Never"));
  }
  for (const std::string name : {"fin-a", "fin-b"}) {
    ASSERT_NO_FATAL_FAILURE(WaitForStatus(name, {"Running", "Completed"}));
  }
  std::string out;
  EXPECT_EQ(Mkctl({"logs", "-f", "-l", "app=fin", "--prefix"}, &out), 0) << out;
  EXPECT_THAT(SortedLines(out),
              ElementsAre("[pod/fin-a/main] fin-a end", "[pod/fin-a/main] fin-a start",
                          "[pod/fin-b/main] fin-b end", "[pod/fin-b/main] fin-b start"));
}

TEST_F(LogsSelectorE2E, AllContainersReadsEveryContainer) {
  MkctlOk({"apply", "-f", "-"}, LabelledPod("pair", "pair",
                                            {{"web", "echo from web; sleep 3600"},
                                             {"sidecar", "echo from sidecar; sleep 3600"}}));
  ASSERT_NO_FATAL_FAILURE(WaitForStatus("pair", {"Running"}));
  ExpectLogs({"logs", "pair", "--all-containers", "--prefix"},
             "[pod/pair/web] from web\n[pod/pair/sidecar] from sidecar\n");
  ExpectLogs({"logs", "-l", "app=pair", "--all-containers"}, "from web\nfrom sidecar\n");
}

}  // namespace
}  // namespace minik8s::clustertest
