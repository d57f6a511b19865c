// `mkctl logs` against running containers: one `minik8s up` cluster (one
// node, minik8s-store) for the whole suite; pods whose commands the fake
// runtime simulates (runtime/README.md) print known lines. mkctl reads
// them from the node's kubelet. Skips when a binary is not built.
#include <signal.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/file_util.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::BackendName;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::Example;
using ::minik8s::testing::TableRows;

using ::minik8s::testing::WaitFor;
using ::testing::HasSubstr;

using ::minik8s::testing::ReadFile;

// A one-container pod running `sh -c SCRIPT`.
std::string ScriptPod(const std::string& name, const std::string& script,
                      const std::string& restart_policy = "Always") {
  return absl::StrCat("apiVersion: v1\nkind: Pod\nmetadata:\n  name: ", name,
                      "\nspec:\n  restartPolicy: ", restart_policy,
                      "\n  containers:\n  - name: main\n    image: busybox:1.36\n"
                      "    command: [\"sh\", \"-c\", \"",
                      script, "\"]\n");
}

class LogsE2E : public ::testing::Test {
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

  // The pod's row of `mkctl get pod NAME -o wide`, split into cells.
  std::vector<std::string> PodRow(const std::string& name) {
    std::string out;
    if (Mkctl({"get", "pod", name, "-o", "wide"}, &out) != 0) return {};
    auto rows = TableRows(out);
    return rows.size() == 1 ? rows[0] : std::vector<std::string>{};
  }
  void WaitForStatus(const std::string& name, const std::string& status) {
    ASSERT_TRUE(WaitFor(
        [&] {
          auto row = PodRow(name);
          return row.size() > 2 && row[2] == status;
        },
        absl::Seconds(60)))
        << MkctlOk({"get", "pod", name, "-o", "wide"});
  }

  static std::string* skip_reason_;
  static ClusterHarness* cluster_;
};

std::string* LogsE2E::skip_reason_ = nullptr;
ClusterHarness* LogsE2E::cluster_ = nullptr;

TEST_F(LogsE2E, PrintsWhatTheContainerWrote) {
  MkctlOk({"apply", "-f", "-"}, ScriptPod("hello", "echo hello; echo world; sleep 3600"));
  ASSERT_NO_FATAL_FAILURE(WaitForStatus("hello", "Running"));
  // The lines are written right after the start; wait until both are there.
  std::string out;
  EXPECT_TRUE(WaitFor(
      [&] {
        return Mkctl({"logs", "hello"}, &out) == 0 && out == "hello\nworld\n";
      },
      absl::Seconds(30)))
      << out;
  EXPECT_EQ(MkctlOk({"logs", "pod/hello"}), "hello\nworld\n");
  EXPECT_EQ(MkctlOk({"logs", "hello", "--tail", "1"}), "world\n");
  EXPECT_EQ(MkctlOk({"logs", "hello", "-c", "main", "--since", "1h"}), "hello\nworld\n");
  const std::string stamped = MkctlOk({"logs", "hello", "--timestamps"});
  EXPECT_TRUE(std::regex_match(
      stamped, std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z hello\n"
                          "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z world\n")))
      << stamped;
  // Never restarted: no previous instance.
  EXPECT_EQ(Mkctl({"logs", "hello", "--previous"}, &out), 1);
  EXPECT_EQ(out,
            "Error from server (BadRequest): previous terminated container \"main\" in pod "
            "\"hello\" not found\n");
}

TEST_F(LogsE2E, FollowStreamsUntilTheContainerExits) {
  MkctlOk({"apply", "-f", "-"},
          ScriptPod("counter", "echo one; sleep 2; echo two; sleep 1; echo three", "Never"));
  ASSERT_TRUE(WaitFor(
      [&] {
        auto row = PodRow("counter");
        return row.size() > 2 && (row[2] == "Running" || row[2] == "Completed");
      },
      absl::Seconds(60)))
      << MkctlOk({"get", "pod", "counter"});
  // Returns by itself once the container has exited, with every line.
  std::string out;
  EXPECT_EQ(Mkctl({"logs", "-f", "counter"}, &out), 0) << out;
  EXPECT_EQ(out, "one\ntwo\nthree\n");
  ASSERT_NO_FATAL_FAILURE(WaitForStatus("counter", "Completed"));
  EXPECT_EQ(MkctlOk({"logs", "counter"}), "one\ntwo\nthree\n");
}

TEST_F(LogsE2E, FollowKeepsStreamingARunningContainerUntilInterrupted) {
  MkctlOk({"apply", "-f", "-"}, ScriptPod("server", "echo listening; sleep 3600"));
  ASSERT_NO_FATAL_FAILURE(WaitForStatus("server", "Running"));
  const std::string log = cluster_->WriteFile("follow.log", "");
  testing::Subprocess follow;
  ASSERT_TRUE(
      follow
          .Start({testing::BinPath("mkctl"), "--server", cluster_->api(), "logs", "-f", "server"},
                 log)
          .ok());
  ASSERT_TRUE(WaitFor([&] { return ReadFile(log) == "listening\n"; }, absl::Seconds(30)))
      << ReadFile(log);
  // The container still runs, so the stream stays open until Ctrl-C.
  EXPECT_FALSE(follow.Exited());
  std::optional<int> status = follow.Stop(SIGINT, absl::Seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*status) || WIFEXITED(*status));
}

TEST_F(LogsE2E, PreviousShowsTheCrashedInstance) {
  MkctlOk({"apply", "-f", "-"}, ScriptPod("crasher", "echo crashing now; exit 3"));
  // The first crash restarts at once: restartCount reaches 1.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto row = PodRow("crasher");
        return row.size() > 3 && row[3] != "0";
      },
      absl::Seconds(60)))
      << MkctlOk({"get", "pod", "crasher"});
  EXPECT_EQ(MkctlOk({"logs", "crasher", "--previous"}), "crashing now\n");
  EXPECT_EQ(MkctlOk({"logs", "crasher", "-p", "--tail", "5"}), "crashing now\n");
  const std::string describe = MkctlOk({"describe", "pod", "crasher"});
  EXPECT_TRUE(std::regex_search(describe, std::regex("Exit Code: +3\n"))) << describe;
}

TEST_F(LogsE2E, SeveralContainersDefaultToTheFirst) {
  MkctlOk({"apply", "-f", "-"},
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: duo\nspec:\n  containers:\n"
          "  - name: a\n    image: busybox:1.36\n    command: [\"sh\", \"-c\", \"echo from-a; "
          "sleep 3600\"]\n"
          "  - name: b\n    image: busybox:1.36\n    command: [\"sh\", \"-c\", \"echo from-b; "
          "sleep 3600\"]\n");
  ASSERT_NO_FATAL_FAILURE(WaitForStatus("duo", "Running"));
  std::string out;
  ASSERT_TRUE(WaitFor(
      [&] {
        return Mkctl({"logs", "duo", "-c", "b"}, &out) == 0 && out == "from-b\n";
      },
      absl::Seconds(30)))
      << out;
  EXPECT_EQ(MkctlOk({"logs", "duo", "b"}), "from-b\n");
  // kubectl picks the first container and says so on stderr.
  EXPECT_EQ(MkctlOk({"logs", "duo"}), "Defaulted container \"a\" out of: a, b\nfrom-a\n");
  EXPECT_EQ(Mkctl({"logs", "duo", "-c", "nope"}, &out), 1);
  EXPECT_EQ(out, "error: container nope is not valid for pod duo\n");
}

TEST_F(LogsE2E, NotScheduledAndNotStartedAreClearErrors) {
  std::string out;
  EXPECT_EQ(Mkctl({"logs", "nope"}, &out), 1);
  EXPECT_EQ(out, "Error from server (NotFound): pods \"nope\" not found\n");

  // No node matches: never scheduled.
  MkctlOk({"apply", "-f", "-"},
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nowhere\nspec:\n  nodeSelector:\n"
          "    disk: none\n  containers:\n  - name: app\n    image: nginx\n");
  EXPECT_EQ(Mkctl({"logs", "nowhere"}, &out), 1);
  EXPECT_EQ(out, "Error from server (BadRequest): pod nowhere does not have a host assigned\n");

  // Bound, but its image cannot be pulled: kubectl's words for the
  // kubelet's waiting reason. (ContainerCreating and the other reasons are
  // covered by tests/kubectl/logs_test.cc.)
  MkctlOk({"apply", "-f", "-"},
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nopull\nspec:\n  containers:\n"
          "  - name: app\n    image: example.com/doesnotexist:1\n");
  ASSERT_NO_FATAL_FAILURE(WaitForStatus("nopull", "ImagePullBackOff"));
  EXPECT_TRUE(WaitFor(
      [&] {
        return Mkctl({"logs", "nopull"}, &out) == 1 &&
               out ==
                   "Error from server (BadRequest): container \"app\" in pod \"nopull\" is "
                   "waiting to start: trying and failing to pull image\n";
      },
      absl::Seconds(60)))
      << out;
}

TEST_F(LogsE2E, DeploymentPicksOneOfItsPods) {
  MkctlOk({"apply", "-f", "-"},
          "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: greeter\nspec:\n"
          "  replicas: 2\n  selector:\n    matchLabels:\n      app: greeter\n  template:\n"
          "    metadata:\n      labels:\n        app: greeter\n    spec:\n      containers:\n"
          "      - name: main\n        image: busybox:1.36\n"
          "        command: [\"sh\", \"-c\", \"echo hi from $HOSTNAME; sleep 3600\"]\n");
  std::string out;
  ASSERT_TRUE(WaitFor(
      [&] {
        return Mkctl({"logs", "deployment/greeter"}, &out) == 0 &&
               absl::StartsWith(out, "hi from greeter-");
      },
      absl::Seconds(60)))
      << out;
}

}  // namespace
}  // namespace minik8s::clustertest
