// Jobs in mkctl: the `get jobs` table (golden, tests/kubectl/testdata/
// get_jobs*.golden: kubectl 1.32's NAME STATUS COMPLETIONS DURATION AGE, and
// CONTAINERS IMAGES SELECTOR with -o wide) and the Job `create job` builds.
//
// After an intended output change, regenerate and review the diff:
//   MINIK8S_UPDATE_GOLDEN=1 build/bin/kubectl_unit_test --gtest_filter='JobTable*'
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/scheme.h"
#include "gtest/gtest.h"
#include "k8s/batch/v1/batch.pb.h"
#include "kubectl/cmd/create_job.h"
#include "kubectl/printers/describe.h"
#include "kubectl/printers/resource_tables.h"
#include "kubectl/printers/table.h"
#include "tests/kubectl/test_objects.h"

namespace minik8s::kubectl {
namespace {

using batch::v1::Job;
using testing::Ago;
using testing::FromYaml;
using testing::Now;

void ExpectGolden(const std::string& name, const std::string& got) {
  const std::string path =
      std::string(MINIK8S_SOURCE_DIR) + "/tests/kubectl/testdata/" + name + ".golden";
  if (std::getenv("MINIK8S_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << got;
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path << " is missing; run with MINIK8S_UPDATE_GOLDEN=1";
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(got, want.str()) << "differs from " << path;
}

Job JobYaml(const std::string& name, const std::string& spec, const std::string& status,
            const std::string& extra_meta = "") {
  return FromYaml<Job>(absl::StrCat(R"(apiVersion: batch/v1
kind: Job
metadata:
  name: )",
                                    name, R"(
  namespace: default
  creationTimestamp: ")",
                                    Ago(absl::Minutes(10)), "\"\n", extra_meta, R"(spec:
  selector:
    matchLabels:
      batch.kubernetes.io/controller-uid: )",
                                    name, R"(-uid
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: )",
                                    name, R"(
        image: busybox:1.36
)",
                                    spec, "status:\n", status));
}

std::vector<Job> Jobs() {
  const std::string started = absl::StrCat("  startTime: \"", Ago(absl::Minutes(9)), "\"\n");
  return {
      JobYaml("done", "  completions: 3\n  parallelism: 2\n",
              started + "  completionTime: \"" + Ago(absl::Seconds(9 * 60 - 42)) +
                  "\"\n  succeeded: 3\n  conditions:\n  - type: SuccessCriteriaMet\n"
                  "    status: \"True\"\n  - type: Complete\n    status: \"True\"\n"),
      JobYaml("running", "  completions: 5\n  parallelism: 2\n",
              started + "  active: 2\n  succeeded: 1\n"),
      JobYaml("queue", "  parallelism: 3\n", started + "  active: 3\n"),
      JobYaml("broken", "  completions: 1\n  parallelism: 1\n",
              started + "  failed: 2\n  conditions:\n  - type: FailureTarget\n    status: "
                        "\"True\"\n  - type: Failed\n    status: \"True\"\n"),
      JobYaml("paused", "  completions: 1\n  parallelism: 1\n  suspend: true\n",
              "  conditions:\n  - type: Suspended\n    status: \"True\"\n"),
      JobYaml("leaving", "  completions: 1\n  parallelism: 1\n", started + "  active: 1\n",
              absl::StrCat("  deletionTimestamp: \"", Ago(absl::Seconds(5)), "\"\n")),
  };
}

std::string Get(bool wide) {
  const api::KindInfo* kind = api::Scheme::Default().FindByResource("jobs");
  EXPECT_NE(kind, nullptr);
  if (kind == nullptr) return "";
  static const std::vector<Job> jobs = Jobs();
  std::vector<const google::protobuf::Message*> objects;
  for (const Job& j : jobs) objects.push_back(&j);
  TableOptions options;
  options.wide = wide;
  options.now = Now();
  return RenderTable(ResourceTable(*kind, objects, options));
}

TEST(JobTable, Get) { ExpectGolden("get_jobs", Get(false)); }

TEST(JobTable, GetWide) { ExpectGolden("get_jobs_wide", Get(true)); }

TEST(JobTable, KindIsServedAsKubectlNamesIt) {
  const api::KindInfo* kind = api::Scheme::Default().FindByResource("job");
  ASSERT_NE(kind, nullptr);
  EXPECT_EQ(kind->group, "batch");
  EXPECT_EQ(kind->kind, "Job");
  EXPECT_TRUE(kind->namespaced);
  EXPECT_EQ(api::Scheme::Default().FindByResource("jobs.batch"), kind);
}

// Describe's labelled lines, with the alignment padding collapsed.
TEST(JobTable, Describe) {
  const Job job = Jobs()[0];
  std::string text = DescribeJob(job, {}, Now());
  std::string collapsed;
  for (char c : text) {
    if (c == ' ' && !collapsed.empty() && collapsed.back() == ' ') continue;
    collapsed += c;
  }
  EXPECT_TRUE(absl::StartsWith(collapsed, "Name: done\nNamespace: default\n")) << text;
  for (const char* line :
       {"\nSelector: batch.kubernetes.io/controller-uid=done-uid\n", "\nParallelism: 2\n",
        "\nCompletions: 3\n", "\nDuration: 42s\n",
        "\nPods Statuses: 0 Active / 3 Succeeded / 0 Failed\n", "\nPod Template:\n"}) {
    EXPECT_NE(collapsed.find(line), std::string::npos) << line << "\n" << text;
  }
}

TEST(CreateJob, BuildsWhatKubectlSends) {
  absl::StatusOr<Job> job = BuildJob("pi", "perl:5.34", {"perl", "-Mbignum=bpi", "-wle"});
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(api::EncodeJson(*job),
            R"({"metadata":{"name":"pi"},"spec":{"template":{"metadata":{},"spec":{)"
            R"("containers":[{"name":"pi","image":"perl:5.34","command":["perl",)"
            R"("-Mbignum=bpi","-wle"],"resources":{}}],"restartPolicy":"Never"}}}})");
  EXPECT_FALSE(BuildJob("pi", "", {}).ok());
  EXPECT_FALSE(BuildJob("", "busybox", {}).ok());
}

}  // namespace
}  // namespace minik8s::kubectl
