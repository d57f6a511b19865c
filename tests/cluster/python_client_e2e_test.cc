// The official Kubernetes Python client (Debian's python3-kubernetes, run
// with /usr/bin/python3) against a minik8s cluster started by `minik8s up`,
// over minik8s-store and over a real etcd: runs python_client_e2e.py with
// the kubeconfig `up` wrote and checks that every check passed. Skips when
// python3 cannot import kubernetes, a binary is not built, or etcd is not on
// PATH.
#include "absl/strings/str_cat.h"
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

using ::testing::HasSubstr;

constexpr char kPython[] = "/usr/bin/python3";

class PythonClientE2E : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    std::string out;
    if (testing::RunCommand({kPython, "-c", "import kubernetes"}, &out, absl::Seconds(60)) != 0) {
      GTEST_SKIP() << kPython << " cannot import kubernetes (install python3-kubernetes): " << out;
    }
    const std::string missing = ClusterHarness::MissingPrerequisite(GetParam());
    if (!missing.empty()) GTEST_SKIP() << missing;
  }

  void TearDown() override {
    if (HasFailure() && cluster_ != nullptr) std::cerr << cluster_->Diagnostics();
  }

  std::unique_ptr<ClusterHarness> cluster_;
};

TEST_P(PythonClientE2E, ScriptPassesEveryCheck) {
  cluster_ =
      std::make_unique<ClusterHarness>(ClusterHarness::Options{.backend = GetParam(), .nodes = 2});
  absl::Status s = cluster_->Start();
  ASSERT_TRUE(s.ok()) << s;
  std::string out;
  const int rc = testing::RunCommand(
      {kPython, absl::StrCat(MINIK8S_SOURCE_DIR, "/tests/cluster/python_client_e2e.py"),
       "--kubeconfig", cluster_->kubeconfig()},
      &out, absl::Seconds(600));
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out,
              ::testing::ContainsRegex("ok: load_kube_config: https://127\\.0\\.0\\.1:[0-9]+\n"))
      << out;
  for (const char* line : {
           "ok: list_namespace includes default\n",
           "ok: create_namespace pyclient-e2e\n",
           "ok: list_namespaced_pod pyclient-e2e: 0 pods\n",
           "ok: create_namespaced_deployment py-web\n",
           "ok: watch pods until 2 Running: 2\n",
           "ok: patch_namespaced_deployment_scale to 3\n",
           "ok: read_namespaced_deployment_scale: spec.replicas 3\n",
           "ok: deployment ready with 3 replicas\n",
           "ok: read_namespaced_pod of a missing pod: 404 NotFound\n",
           "ok: create_namespaced_deployment twice: 409 AlreadyExists\n",
           "ok: delete_namespaced_deployment with propagation_policy Foreground\n",
           "ok: deployment gone, with its replica set and pods\n",
           "ok: delete_namespace pyclient-e2e\n",
       }) {
    EXPECT_THAT(out, HasSubstr(line)) << out;
  }
  EXPECT_THAT(out, ::testing::EndsWith("all checks passed\n")) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("FAIL: "))) << out;
}

INSTANTIATE_TEST_SUITE_P(Backends, PythonClientE2E,
                         ::testing::Values(BackendKind::kMinik8sStore, BackendKind::kEtcd),
                         [](const ::testing::TestParamInfo<BackendKind>& info) {
                           return BackendName(info.param);
                         });

}  // namespace
}  // namespace minik8s::clustertest
