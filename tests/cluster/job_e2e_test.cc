// batch/v1 Jobs on a whole `minik8s up` cluster (one node, minik8s-store):
// the job controller runs pods to completion through the scheduler, the
// kubelet and the fake runtime (whose `sh -c` scripts exit with their
// code), mkctl and the real kubectl create, list, wait for and delete
// Jobs, and the garbage collector takes a deleted Job's pods. Skips when a
// binary is not built.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "testing/cluster_harness.h"
#include "testing/cluster_test.h"
#include "testing/file_util.h"
#include "testing/wait.h"

namespace minik8s::clustertest {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::SharedClusterSuite;
using ::minik8s::testing::TableRows;
using ::minik8s::testing::WaitFor;

// A Job running `sh -c SCRIPT` in one busybox container, restartPolicy Never.
std::string ScriptJob(const std::string& name, const std::string& script, int completions,
                      int parallelism, int backoff_limit) {
  return absl::StrCat("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ", name,
                      "\nspec:\n  completions: ", completions, "\n  parallelism: ", parallelism,
                      "\n  backoffLimit: ", backoff_limit,
                      "\n  template:\n    spec:\n      restartPolicy: Never\n"
                      "      containers:\n      - name: main\n        image: busybox:1.36\n"
                      "        command: [\"sh\", \"-c\", \"",
                      script, "\"]\n");
}

class JobE2E : public SharedClusterSuite<JobE2E> {
 protected:
  std::string Jsonpath(const std::string& object, const std::string& path) {
    std::string out;
    cluster_->Mkctl({"get", object, "-o", "jsonpath=" + path}, &out);
    return out;
  }
};

TEST_F(JobE2E, CompletesThreePodsTwoAtATime) {
  MkctlOk({"apply", "-f", "-"}, ScriptJob("count", "echo done; sleep 1", 3, 2, 6));
  // The real kubectl waits on our apiserver's watch.
  KubectlOk({"wait", "--for=condition=complete", "job/count", "--timeout=120s"});

  EXPECT_EQ(Jsonpath("job/count", "{.status.succeeded}"), "3");
  EXPECT_EQ(Jsonpath("job/count", "{.status.failed}"), "");
  EXPECT_EQ(Jsonpath("job/count", "{.status.conditions[*].type}"), "SuccessCriteriaMet Complete");
  EXPECT_FALSE(Jsonpath("job/count", "{.status.completionTime}").empty());
  // The generated selector and the template labels.
  const std::string uid = Jsonpath("job/count", "{.metadata.uid}");
  ASSERT_FALSE(uid.empty());
  EXPECT_NE(Jsonpath("job/count", "{.spec.selector.matchLabels}").find(uid), std::string::npos);

  std::string pods = MkctlOk({"get", "pods", "-l", "job-name=count"});
  auto rows = TableRows(pods);
  ASSERT_EQ(rows.size(), 3u) << pods;
  for (const auto& row : rows) {
    ASSERT_GT(row.size(), 2u) << pods;
    EXPECT_TRUE(absl::StartsWith(row[0], "count-")) << pods;
    EXPECT_EQ(row[2], "Completed") << pods;
  }
  // Each pod's phase is Succeeded and its tracking finalizer is gone.
  EXPECT_EQ(
      MkctlOk({"get", "pods", "-l", "job-name=count", "-o", "jsonpath={.items[*].status.phase}"}),
      "Succeeded Succeeded Succeeded");
  EXPECT_EQ(MkctlOk({"get", "pods", "-l", "job-name=count", "-o",
                     "jsonpath={.items[*].metadata.finalizers}"}),
            "");

  // Tables: mkctl and kubectl show NAME STATUS COMPLETIONS DURATION AGE.
  for (const std::string& table : {MkctlOk({"get", "jobs"}), KubectlOk({"get", "jobs"})}) {
    EXPECT_TRUE(absl::StartsWith(table, "NAME")) << table;
    EXPECT_NE(table.find("STATUS"), std::string::npos) << table;
    EXPECT_NE(table.find("COMPLETIONS"), std::string::npos) << table;
    EXPECT_NE(table.find("DURATION"), std::string::npos) << table;
    bool found = false;
    for (const auto& row : TableRows(table)) {
      if (row.size() >= 3 && row[0] == "count") {
        found = true;
        EXPECT_EQ(row[1], "Complete") << table;
        EXPECT_EQ(row[2], "3/3") << table;
      }
    }
    EXPECT_TRUE(found) << table;
  }
  EXPECT_NE(MkctlOk({"get", "all"}).find("job.batch/count"), std::string::npos);
  EXPECT_NE(KubectlOk({"get", "all"}).find("job.batch/count"), std::string::npos);
  EXPECT_NE(MkctlOk({"describe", "job", "count"}).find("SuccessfulCreate"), std::string::npos);

  // Deleting the Job takes its pods with it (garbage collector).
  MkctlOk({"delete", "job", "count"});
  std::string left;
  EXPECT_TRUE(WaitFor(
      [&] {
        left = MkctlOk({"get", "pods", "-l", "job-name=count", "-o", "name"});
        return left.find("pod/") == std::string::npos;
      },
      absl::Seconds(60)))
      << left;
}

TEST_F(JobE2E, FailsOnceTheBackoffLimitIsExceeded) {
  MkctlOk({"create", "-f", "-"}, ScriptJob("doomed", "echo failing; exit 1", 1, 1, 1));
  // Two failed pods (the second after the 10s pod backoff), then Failed.
  MkctlOk({"wait", "--for=condition=failed", "job/doomed", "--timeout=120s"});
  EXPECT_EQ(Jsonpath("job/doomed", "{.status.failed}"), "2");
  EXPECT_EQ(Jsonpath("job/doomed", "{.status.conditions[?(@.type==\"Failed\")].reason}"),
            "BackoffLimitExceeded");
  EXPECT_EQ(Jsonpath("job/doomed", "{.status.conditions[?(@.type==\"FailureTarget\")].status}"),
            "True");
  EXPECT_EQ(
      MkctlOk({"get", "pods", "-l", "job-name=doomed", "-o", "jsonpath={.items[*].status.phase}"}),
      "Failed Failed");
  auto rows = TableRows(MkctlOk({"get", "job", "doomed"}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][1], "Failed");
  EXPECT_EQ(rows[0][2], "0/1");
  // kubectl waits on a condition already there.
  KubectlOk({"wait", "--for=condition=failed", "job/doomed", "--timeout=10s"});
}

TEST_F(JobE2E, CreateJobFromTheCommandLine) {
  // The real kubectl's `create job`, then ours.
  EXPECT_EQ(
      KubectlOk({"create", "job", "hello", "--image=busybox:1.36", "--", "sh", "-c", "echo hello"}),
      "job.batch/hello created\n");
  EXPECT_EQ(
      MkctlOk({"create", "job", "hello2", "--image=busybox:1.36", "--", "sh", "-c", "echo hello"}),
      "job.batch/hello2 created\n");
  EXPECT_EQ(Jsonpath("job/hello2", "{.spec.template.spec.containers[0].command}"),
            "[\"sh\",\"-c\",\"echo hello\"]");
  EXPECT_EQ(Jsonpath("job/hello2", "{.spec.template.spec.restartPolicy}"), "Never");
  KubectlOk({"wait", "--for=condition=complete", "job/hello", "job/hello2", "--timeout=120s"});
  MkctlOk({"delete", "job", "hello", "hello2"});
}

TEST_F(JobE2E, FinishedJobIsDeletedAfterItsTtl) {
  std::string job = ScriptJob("shortlived", "echo bye", 1, 1, 6);
  job.replace(job.find("  template:"), 0, "  ttlSecondsAfterFinished: 0\n");
  MkctlOk({"apply", "-f", "-"}, job);
  std::string out;
  EXPECT_TRUE(WaitFor(
      [&] {
        return cluster_->Mkctl({"get", "job", "shortlived", "-o", "name"}, &out) != 0 &&
               out.find("NotFound") != std::string::npos;
      },
      absl::Seconds(60)))
      << out;
  // It was deleted once complete: its events stay.
  const std::string events =
      MkctlOk({"get", "events", "--field-selector", "involvedObject.name=shortlived", "-o",
               "jsonpath={.items[*].reason}"});
  EXPECT_NE(events.find("Completed"), std::string::npos) << events;
}

TEST_F(JobE2E, KubectlExplainsJobs) {
  const std::string out = KubectlOk({"explain", "job.spec.backoffLimit"});
  EXPECT_NE(out.find("GROUP:      batch"), std::string::npos) << out;
  EXPECT_NE(out.find("backoffLimit"), std::string::npos) << out;
}

}  // namespace
}  // namespace minik8s::clustertest
