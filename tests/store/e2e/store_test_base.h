// GoogleTest glue for store end-to-end suites: a value-parameterized fixture
// whose parameter is the backend, so every test runs against our
// minik8s-store and against a real etcd. Each test gets a fresh daemon (fresh
// data dir, revision 1), so tests may assert exact revisions.
//
// Tests listed as known failures against minik8s-store (store_test_base.cc,
// each with the difference from etcd) skip in that instantiation only.
#ifndef MINIK8S_TESTS_STORE_E2E_STORE_TEST_BASE_H_
#define MINIK8S_TESTS_STORE_E2E_STORE_TEST_BASE_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testing/store_backend.h"

namespace minik8s::storetest {

// The launcher lives in the shared test harness; these suites name it
// unqualified.
using testing::BackendKind;
using testing::BackendName;
using testing::CommandResult;
using testing::FindOnPath;
using testing::StoreBackend;

class StoreE2ETest : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Flags added to the daemon's command line; override per suite.
  virtual std::vector<std::string> ExtraFlags() const { return {}; }

  StoreBackend& backend() { return *backend_; }

  // Runs etcdctl against the backend.
  CommandResult Ctl(const std::vector<std::string>& args, const std::string& stdin_data = "") {
    return backend_->Etcdctl(args, stdin_data);
  }
  // Runs etcdctl, records a test failure (with the output) unless it exits 0,
  // and returns its output.
  std::string CtlOk(const std::vector<std::string>& args, const std::string& stdin_data = "");
  // Runs etcdctl expecting it to fail, with `message` in its output.
  void CtlFails(const std::vector<std::string>& args, const std::string& message,
                const std::string& stdin_data = "");

 private:
  std::unique_ptr<StoreBackend> backend_;
};

// Test-name suffix for a backend parameter.
std::string BackendParamName(const ::testing::TestParamInfo<BackendKind>& info);

}  // namespace minik8s::storetest

// Runs every TEST_P of `suite` against both backends.
#define MINIK8S_INSTANTIATE_STORE_E2E(suite)                                                   \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                    \
                           ::testing::Values(::minik8s::storetest::BackendKind::kMinik8sStore, \
                                             ::minik8s::storetest::BackendKind::kEtcd),        \
                           ::minik8s::storetest::BackendParamName)

#endif  // MINIK8S_TESTS_STORE_E2E_STORE_TEST_BASE_H_
