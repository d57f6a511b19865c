// `mkctl logs` (by pod, and by selector with -l) against running
// containers: one `minik8s up` cluster (one node, minik8s-store) for the
// whole suite; pods whose commands the fake runtime simulates
// (runtime/README.md) print known lines. mkctl reads them from the node's
// kubelet. Skips when a binary is not built.
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/cluster_test.h"
#include "testing/file_util.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::BackendName;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::Example;
using ::minik8s::testing::SharedClusterSuite;
using ::minik8s::testing::TableRows;

using ::minik8s::testing::WaitFor;
using ::testing::ElementsAre;
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

class LogsE2E : public SharedClusterSuite<LogsE2E> {
 protected:
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
  // Waits until the pod's STATUS column is one of `statuses`.
  void WaitForStatusIn(const std::string& name, const std::vector<std::string>& statuses) {
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
};

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
  ASSERT_TRUE(follow.Start(cluster_->MkctlCommand({"logs", "-f", "server"}), log).ok());
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

// `mkctl logs -l SELECTOR` with --prefix, --all-containers, -f and
// --max-log-requests.

TEST_F(LogsE2E, SelectorPrintsEachPodInTurnWithPrefixes) {
  for (const std::string name : {"multi-c", "multi-a", "multi-b"}) {
    MkctlOk({"apply", "-f", "-"},
            LabelledPod(
                name, "multi",
                {{"main", absl::StrCat("echo ", name, " one; echo ", name, " two; sleep 3600")}}));
  }
  for (const std::string name : {"multi-a", "multi-b", "multi-c"}) {
    ASSERT_NO_FATAL_FAILURE(WaitForStatusIn(name, {"Running"}));
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

TEST_F(LogsE2E, NoMatchingPodsIsNotAnError) {
  std::string out;
  EXPECT_EQ(Mkctl({"logs", "-l", "app=nothing-has-this"}, &out), 0);
  EXPECT_EQ(out, "No resources found in default namespace.\n");
}

TEST_F(LogsE2E, FollowsSeveralStreamsAtOnceUntilTheyEnd) {
  for (const std::string name : {"fin-a", "fin-b"}) {
    MkctlOk(
        {"apply", "-f", "-"},
        LabelledPod(name, "fin",
                    {{"main", absl::StrCat("echo ", name, " start; sleep 2; echo ", name, " end")}},
                    "Never"));
  }
  for (const std::string name : {"fin-a", "fin-b"}) {
    ASSERT_NO_FATAL_FAILURE(WaitForStatusIn(name, {"Running", "Completed"}));
  }
  std::string out;
  EXPECT_EQ(Mkctl({"logs", "-f", "-l", "app=fin", "--prefix"}, &out), 0) << out;
  EXPECT_THAT(SortedLines(out),
              ElementsAre("[pod/fin-a/main] fin-a end", "[pod/fin-a/main] fin-a start",
                          "[pod/fin-b/main] fin-b end", "[pod/fin-b/main] fin-b start"));
}

TEST_F(LogsE2E, AllContainersReadsEveryContainer) {
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
