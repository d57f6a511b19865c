// The main() of every minik8s test binary: GoogleTest's, with one change to
// what it prints, so that CTest can tell a skipped test from a failed one.
//
// CTest marks a test "Skipped" when its output matches "[  SKIPPED ]"
// (gtest_discover_tests' SKIP_REGULAR_EXPRESSION), whatever its exit code.
// GoogleTest prints that both for GTEST_SKIP() and for every test of a suite
// whose SetUpTestSuite failed (an e2e cluster that did not start), so such a
// real failure showed as a skip. Here the tests of a suite whose set-up
// failed are printed as "[  FAILED  ]", and so is the run's summary; all
// other output is GoogleTest's own.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

using testing::TestEventListener;
using testing::TestInfo;
using testing::TestPartResult;
using testing::TestSuite;
using testing::UnitTest;

bool CurrentSuiteSetUpFailed() {
  const TestSuite* suite = UnitTest::GetInstance()->current_test_suite();
  return suite != nullptr && suite->ad_hoc_test_result().Failed();
}

// GoogleTest's printer, except for the tests of a suite whose set-up failed.
class SetUpAwarePrinter : public TestEventListener {
 public:
  explicit SetUpAwarePrinter(TestEventListener* printer) : printer_(printer) {}

  void OnTestProgramStart(const UnitTest& unit_test) override {
    printer_->OnTestProgramStart(unit_test);
  }
  void OnTestIterationStart(const UnitTest& unit_test, int iteration) override {
    printer_->OnTestIterationStart(unit_test, iteration);
  }
  void OnEnvironmentsSetUpStart(const UnitTest& unit_test) override {
    printer_->OnEnvironmentsSetUpStart(unit_test);
  }
  void OnEnvironmentsSetUpEnd(const UnitTest& unit_test) override {
    printer_->OnEnvironmentsSetUpEnd(unit_test);
  }
  void OnTestSuiteStart(const TestSuite& suite) override { printer_->OnTestSuiteStart(suite); }
  void OnTestStart(const TestInfo& info) override { printer_->OnTestStart(info); }
  void OnTestPartResult(const TestPartResult& result) override {
    printer_->OnTestPartResult(result);
  }
  void OnTestEnd(const TestInfo& info) override {
    if (info.result()->Skipped() && CurrentSuiteSetUpFailed()) {
      std::printf("[  FAILED  ] %s.%s (not run: SetUpTestSuite failed)\n", info.test_suite_name(),
                  info.name());
      std::fflush(stdout);
      return;
    }
    printer_->OnTestEnd(info);
  }
  void OnTestSuiteEnd(const TestSuite& suite) override {
    if (suite.ad_hoc_test_result().Failed()) failed_suites_.emplace_back(suite.name());
    printer_->OnTestSuiteEnd(suite);
  }
  void OnEnvironmentsTearDownStart(const UnitTest& unit_test) override {
    printer_->OnEnvironmentsTearDownStart(unit_test);
  }
  void OnEnvironmentsTearDownEnd(const UnitTest& unit_test) override {
    printer_->OnEnvironmentsTearDownEnd(unit_test);
  }
  void OnTestIterationEnd(const UnitTest& unit_test, int iteration) override {
    if (failed_suites_.empty()) {
      printer_->OnTestIterationEnd(unit_test, iteration);
      return;
    }
    // GoogleTest's summary would list the suites' tests as skipped.
    std::printf("[==========] %d tests from %d test suites ran.\n", unit_test.test_to_run_count(),
                unit_test.test_suite_to_run_count());
    for (int i = 0; i < unit_test.total_test_suite_count(); ++i) {
      const TestSuite* suite = unit_test.GetTestSuite(i);
      for (int j = 0; j < suite->total_test_count(); ++j) {
        const TestInfo* info = suite->GetTestInfo(j);
        if (info->result()->Failed()) {
          std::printf("[  FAILED  ] %s.%s\n", info->test_suite_name(), info->name());
        }
      }
    }
    for (const std::string& suite : failed_suites_) {
      std::printf("[  FAILED  ] %s: SetUpTestSuite or TearDownTestSuite failed\n", suite.c_str());
    }
    std::fflush(stdout);
  }
  void OnTestProgramEnd(const UnitTest& unit_test) override {
    printer_->OnTestProgramEnd(unit_test);
  }

 private:
  std::unique_ptr<TestEventListener> printer_;
  std::vector<std::string> failed_suites_;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleMock(&argc, argv);
  testing::TestEventListeners& listeners = UnitTest::GetInstance()->listeners();
  // Released from GoogleTest's list (which would delete it) into ours.
  TestEventListener* printer = listeners.Release(listeners.default_result_printer());
  if (printer != nullptr) listeners.Append(new SetUpAwarePrinter(printer));
  return RUN_ALL_TESTS();
}
