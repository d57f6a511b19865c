// Container lifecycle hooks under `minik8s up` (one node, minik8s-store,
// TLS): a postStart hook runs once the container has started, and a preStop
// hook runs, taking its time, before the container is stopped, so that
// deleting the pod waits for it (kubelet/lifecycle_hooks.h). Both write
// into a hostPath, where the test reads them. A postStart hook that fails
// is a FailedPostStartHook Event with Kubernetes' message, and the
// container waits in PostStartHookError to be started again. Skips when a
// binary is not built.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/cluster_test.h"
#include "testing/wait.h"

namespace minik8s::clustertest {
namespace {

namespace fs = std::filesystem;
using ::minik8s::testing::SharedClusterSuite;
using ::minik8s::testing::WaitFor;
using ::testing::HasSubstr;

class LifecycleHooksE2E : public SharedClusterSuite<LifecycleHooksE2E> {};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST_F(LifecycleHooksE2E, PostStartRunsAfterTheStartAndDeletionWaitsForPreStop) {
  const fs::path marks = fs::path(cluster_->data_dir()) / "hook-marks";
  MkctlOk({"apply", "-f", "-"},
          absl::StrCat("apiVersion: v1\nkind: Pod\nmetadata: {name: hooked}\nspec:\n"
                       "  containers:\n  - name: app\n    image: busybox:1.36\n"
                       "    command: [sleep, '3600']\n"
                       "    volumeMounts:\n    - {name: marks, mountPath: /marks}\n"
                       "    lifecycle:\n"
                       "      postStart:\n"
                       "        exec: {command: [sh, -c, 'echo started > /marks/post']}\n"
                       "      preStop:\n"
                       "        exec: {command: [sh, -c, 'echo stopping > /marks/pre; sleep 3']}\n"
                       "  volumes:\n  - name: marks\n"
                       "    hostPath: {path: ",
                       marks.string(), ", type: DirectoryOrCreate}\n"));
  ASSERT_TRUE(WaitFor(
      [&] {
        return MkctlOk({"get", "pod", "hooked", "-o", "jsonpath={.status.phase}"}) == "Running";
      },
      absl::Seconds(60)))
      << MkctlOk({"get", "pod", "hooked"});
  EXPECT_EQ(ReadFile(marks / "post"), "started\n");
  EXPECT_FALSE(fs::exists(marks / "pre"));

  // The default grace period is 30 s; the hook takes 3 s of it, then the
  // container stops at once (it does not ignore SIGTERM).
  const absl::Time start = absl::Now();
  MkctlOk({"delete", "pod", "hooked"});
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(ReadFile(marks / "pre"), "stopping\n");
  EXPECT_GE(took, absl::Seconds(3));
  EXPECT_LT(took, absl::Seconds(25));
}

TEST_F(LifecycleHooksE2E, AFailedPostStartHookIsAnEventAndTheContainerWaitsToRestart) {
  MkctlOk({"apply", "-f", "-"},
          "apiVersion: v1\nkind: Pod\nmetadata: {name: bad-hook}\nspec:\n"
          "  terminationGracePeriodSeconds: 1\n"
          "  containers:\n  - name: app\n    image: busybox:1.36\n"
          "    command: [sleep, '3600']\n"
          "    lifecycle:\n"
          "      postStart:\n"
          "        exec: {command: [sh, -c, 'cat /missing']}\n");
  std::string events;
  ASSERT_TRUE(WaitFor(
      [&] {
        events = MkctlOk({"get", "events", "--field-selector", "involvedObject.name=bad-hook"});
        return absl::StrContains(events, "FailedPostStartHook");
      },
      absl::Seconds(60)))
      << events;
  const std::string uid = MkctlOk({"get", "pod", "bad-hook", "-o", "jsonpath={.metadata.uid}"});
  EXPECT_THAT(events,
              HasSubstr(absl::StrCat("Exec lifecycle hook ([sh -c cat /missing]) for Container "
                                     "\"app\" in Pod \"bad-hook_default(",
                                     uid,
                                     ")\" failed - error: command 'sh -c cat /missing' exited "
                                     "with 1: cat: /missing: No such file or directory")));
  EXPECT_THAT(events, HasSubstr("message: \"cat: /missing: No such file or directory\\n\""));
  std::string reasons;
  EXPECT_TRUE(WaitFor(
      [&] {
        reasons = MkctlOk({"get", "pod", "bad-hook", "-o",
                           "jsonpath={.status.containerStatuses[0].state.waiting.reason}"});
        return reasons == "PostStartHookError" || reasons == "CrashLoopBackOff";
      },
      absl::Seconds(60)))
      << reasons;
  MkctlOk({"delete", "pod", "bad-hook", "--grace-period=0"});
}

}  // namespace
}  // namespace minik8s::clustertest
