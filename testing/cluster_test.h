// GoogleTest fixtures over `minik8s up` clusters (ClusterHarness,
// minik8s-store, TLS): TwoNodeClusterTest gives every test its own cluster
// of two nodes; SharedClusterSuite one cluster a suite. Both skip when a
// binary is not built.
#ifndef MINIK8S_TESTING_CLUSTER_TEST_H_
#define MINIK8S_TESTING_CLUSTER_TEST_H_

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
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

// One cluster for the whole suite of `Derived`, started in SetUpTestSuite
// with Derived::ClusterOptions() (by default one node whose kubelet relists
// every 200 ms), its diagnostics printed after a failed test, and mkctl and
// kubectl calls that must succeed. A failed start fails every test of the
// suite (testing/gtest_main.cc).
template <typename Derived>
class SharedClusterSuite : public ::testing::Test {
 public:
  static ClusterHarness::Options ClusterOptions() {
    return {.backend = BackendKind::kMinik8sStore,
            .nodes = 1,
            .up_flags = {"--kubelet-arg=--relist-period=200ms"}};
  }

  static void SetUpTestSuite() {
    const std::string missing = ClusterHarness::MissingPrerequisite(BackendKind::kMinik8sStore);
    if (!missing.empty()) {
      skip_reason_ = new std::string(missing);
      return;
    }
    cluster_ = new ClusterHarness(Derived::ClusterOptions());
    absl::Status s = cluster_->Start();
    ASSERT_TRUE(s.ok()) << s << cluster_->Diagnostics();
  }

  static void TearDownTestSuite() {
    delete cluster_;
    delete skip_reason_;
    cluster_ = nullptr;
    skip_reason_ = nullptr;
  }

 protected:
  void SetUp() override {
    if (skip_reason_ != nullptr) GTEST_SKIP() << *skip_reason_;
    ASSERT_NE(cluster_, nullptr);
  }

  void TearDown() override {
    if (HasFailure() && cluster_ != nullptr) std::cerr << cluster_->Diagnostics();
  }

  // mkctl's exit code, its output in *out.
  static int Mkctl(std::vector<std::string> args, std::string* out,
                   const std::string& stdin_data = "") {
    return cluster_->Mkctl(std::move(args), out, stdin_data);
  }
  // mkctl's output; a non-zero exit fails the test.
  static std::string MkctlOk(const std::vector<std::string>& args,
                             const std::string& stdin_data = "") {
    std::string out;
    EXPECT_EQ(cluster_->Mkctl(args, &out, stdin_data), 0)
        << "mkctl " << absl::StrJoin(args, " ") << "\n"
        << out;
    return out;
  }
  // kubectl's output; a non-zero exit fails the test.
  static std::string KubectlOk(const std::vector<std::string>& args) {
    std::string out;
    EXPECT_EQ(cluster_->Kubectl(args, &out), 0) << "kubectl " << absl::StrJoin(args, " ") << "\n"
                                                << out;
    return out;
  }

  static inline ClusterHarness* cluster_ = nullptr;
  static inline std::string* skip_reason_ = nullptr;
};

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_CLUSTER_TEST_H_
