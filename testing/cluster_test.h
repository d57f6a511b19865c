// A GoogleTest fixture whose every test gets its own `minik8s up` cluster
// (ClusterHarness, minik8s-store, TLS) of two nodes, skipped when a binary
// is not built, and mkctl with its output as a string.
#ifndef MINIK8S_TESTING_CLUSTER_TEST_H_
#define MINIK8S_TESTING_CLUSTER_TEST_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testing/cluster_harness.h"

namespace minik8s::testing {

class TwoNodeClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing = ClusterHarness::MissingPrerequisite(BackendKind::kMinik8sStore);
    if (!missing.empty()) GTEST_SKIP() << missing;
    cluster_ = std::make_unique<ClusterHarness>(
        ClusterHarness::Options{.backend = BackendKind::kMinik8sStore, .nodes = 2});
    absl::Status s = cluster_->Start();
    ASSERT_TRUE(s.ok()) << s << cluster_->Diagnostics();
  }

  // mkctl's output (stdout and stderr); its exit code in *code when given.
  std::string Mkctl(std::vector<std::string> args, int* code = nullptr) {
    std::string out;
    const int rc = cluster_->Mkctl(std::move(args), &out);
    if (code != nullptr) *code = rc;
    return out;
  }

  std::unique_ptr<ClusterHarness> cluster_;
};

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_CLUSTER_TEST_H_
