#include "printers/pod_status.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "k8s/core/v1/core.pb.h"
#include "tests/kubectl/test_objects.h"

namespace minik8s::printers {
namespace {

using core::v1::Pod;
using kubectl::testing::Ago;
using kubectl::testing::FromYaml;
using kubectl::testing::Now;

Pod PodWith(const std::string& status_yaml, const std::string& extra_spec = "") {
  return FromYaml<Pod>(
      absl::StrCat("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n", extra_spec,
                   "  containers:\n  - name: a\n    image: nginx\n  - name: b\n    image: redis\n"
                   "status:\n",
                   status_yaml));
}

TEST(PodStatus, PhaseWhenNothingElse) {
  PodSummary s = SummarizePod(PodWith("  phase: Pending\n"));
  EXPECT_EQ(s.status, "Pending");
  EXPECT_EQ(s.ready_containers, 0);
  EXPECT_EQ(s.total_containers, 2);
  EXPECT_EQ(RestartsColumn(s, Now()), "0");
}

TEST(PodStatus, ReasonOverridesPhase) {
  EXPECT_EQ(SummarizePod(PodWith("  phase: Failed\n  reason: Evicted\n")).status, "Evicted");
}

TEST(PodStatus, RunningAndReadyCounts) {
  PodSummary s = SummarizePod(
      PodWith("  phase: Running\n"
              "  containerStatuses:\n"
              "  - name: a\n    ready: true\n    state:\n      running:\n        startedAt: " +
              Ago(absl::Minutes(3)) +
              "\n"
              "  - name: b\n    ready: false\n    state:\n      running:\n        startedAt: " +
              Ago(absl::Minutes(3)) + "\n"));
  EXPECT_EQ(s.status, "Running");
  EXPECT_EQ(s.ready_containers, 1);
}

TEST(PodStatus, WaitingReasonWinsAndRestartsShowAge) {
  PodSummary s = SummarizePod(
      PodWith("  phase: Running\n"
              "  containerStatuses:\n"
              "  - name: a\n    ready: false\n    restartCount: 3\n"
              "    state:\n      waiting:\n        reason: CrashLoopBackOff\n"
              "    lastState:\n      terminated:\n        exitCode: 1\n        reason: Error\n"
              "        finishedAt: " +
              Ago(absl::Seconds(45)) +
              "\n"
              "  - name: b\n    ready: true\n    state:\n      running: {}\n"));
  EXPECT_EQ(s.status, "CrashLoopBackOff");
  EXPECT_EQ(s.restarts, 3);
  EXPECT_EQ(RestartsColumn(s, Now()), "3 (45s ago)");
}

TEST(PodStatus, TerminatedWithoutReasonShowsExitCodeOrSignal) {
  EXPECT_EQ(
      SummarizePod(PodWith("  phase: Running\n  containerStatuses:\n"
                           "  - name: a\n    state:\n      terminated:\n        exitCode: 2\n"))
          .status,
      "ExitCode:2");
  EXPECT_EQ(
      SummarizePod(PodWith("  phase: Running\n  containerStatuses:\n"
                           "  - name: a\n    state:\n      terminated:\n        exitCode: 137\n"
                           "        signal: 9\n"))
          .status,
      "Signal:9");
}

TEST(PodStatus, CompletedWithRunningContainerReadsRunningOrNotReady) {
  const std::string statuses =
      "  containerStatuses:\n"
      "  - name: a\n    ready: true\n    state:\n      running: {}\n"
      "  - name: b\n    state:\n      terminated:\n        exitCode: 0\n        reason: "
      "Completed\n";
  EXPECT_EQ(SummarizePod(PodWith("  phase: Running\n" + statuses)).status, "NotReady");
  EXPECT_EQ(SummarizePod(
                PodWith("  phase: Running\n  conditions:\n  - type: Ready\n    status: \"True\"\n" +
                        statuses))
                .status,
            "Running");
}

TEST(PodStatus, InitContainers) {
  const std::string spec =
      "  initContainers:\n  - name: init1\n    image: busybox\n"
      "  - name: init2\n    image: busybox\n";
  EXPECT_EQ(SummarizePod(PodWith("  phase: Pending\n  initContainerStatuses:\n"
                                 "  - name: init1\n    state:\n      running: {}\n",
                                 spec))
                .status,
            "Init:0/2");
  EXPECT_EQ(
      SummarizePod(
          PodWith("  phase: Pending\n  initContainerStatuses:\n"
                  "  - name: init1\n    state:\n      terminated:\n        exitCode: 0\n"
                  "  - name: init2\n    state:\n      waiting:\n        reason: ImagePullBackOff\n",
                  spec))
          .status,
      "Init:ImagePullBackOff");
  EXPECT_EQ(
      SummarizePod(PodWith("  phase: Pending\n  initContainerStatuses:\n"
                           "  - name: init1\n    state:\n      terminated:\n        exitCode: 3\n",
                           spec))
          .status,
      "Init:ExitCode:3");
  EXPECT_EQ(
      SummarizePod(PodWith("  phase: Pending\n  initContainerStatuses:\n"
                           "  - name: init1\n    state:\n      terminated:\n        exitCode: 1\n"
                           "        reason: Error\n",
                           spec))
          .status,
      "Init:Error");
}

TEST(PodStatus, TerminatingUnlessFinished) {
  Pod running = PodWith("  phase: Running\n");
  running.mutable_metadata()->mutable_deletion_timestamp()->set_seconds(1700000000);
  EXPECT_EQ(SummarizePod(running).status, "Terminating");
  Pod done = PodWith("  phase: Succeeded\n");
  done.mutable_metadata()->mutable_deletion_timestamp()->set_seconds(1700000000);
  EXPECT_EQ(SummarizePod(done).status, "Succeeded");
  Pod lost = PodWith("  phase: Running\n  reason: NodeLost\n");
  lost.mutable_metadata()->mutable_deletion_timestamp()->set_seconds(1700000000);
  EXPECT_EQ(SummarizePod(lost).status, "Unknown");
}

}  // namespace
}  // namespace minik8s::printers
