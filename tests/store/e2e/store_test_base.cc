#include "tests/store/e2e/store_test_base.h"

#include <unistd.h>

#include <iostream>

#include "absl/strings/str_join.h"

namespace minik8s::storetest {

void StoreE2ETest::SetUp() {
  BackendKind kind = GetParam();
  std::string binary = DefaultBinary(kind);
  if (kind == BackendKind::kMinik8sStore && access(binary.c_str(), X_OK) != 0) {
    GTEST_SKIP() << "minik8s-store has not been built yet (" << binary
                 << " missing); only the etcd instantiation runs";
  }
  StoreBackend::Options options;
  options.kind = kind;
  options.extra_flags = ExtraFlags();
  backend_ = std::make_unique<StoreBackend>(std::move(options));
  absl::Status started = backend_->Start();
  ASSERT_TRUE(started.ok()) << started;
}

void StoreE2ETest::TearDown() {
  if (backend_ == nullptr) return;
  if (HasFailure()) {
    std::cerr << "---- " << BackendName(GetParam()) << " log tail (" << backend_->log_path()
              << ") ----\n"
              << backend_->LogTail() << "----\n";
  }
  backend_.reset();
}

std::string StoreE2ETest::CtlOk(const std::vector<std::string>& args,
                                const std::string& stdin_data) {
  CommandResult r = Ctl(args, stdin_data);
  EXPECT_EQ(r.exit_code, 0) << "etcdctl " << absl::StrJoin(args, " ") << " failed:\n" << r.output;
  return r.output;
}

void StoreE2ETest::CtlFails(const std::vector<std::string>& args, const std::string& message,
                            const std::string& stdin_data) {
  CommandResult r = Ctl(args, stdin_data);
  EXPECT_NE(r.exit_code, 0) << "etcdctl " << absl::StrJoin(args, " ")
                            << " unexpectedly succeeded:\n" << r.output;
  EXPECT_NE(r.output.find(message), std::string::npos)
      << "etcdctl " << absl::StrJoin(args, " ") << ": expected \"" << message
      << "\" in output:\n" << r.output;
}

std::string BackendParamName(const ::testing::TestParamInfo<BackendKind>& info) {
  return BackendName(info.param);
}

}  // namespace minik8s::storetest
