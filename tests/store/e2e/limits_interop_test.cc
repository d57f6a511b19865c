// Request limits set by etcd's flags (--max-txn-ops, --max-request-bytes),
// which minik8s-store accepts under the same names.
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/store/e2e/store_test_base.h"

namespace minik8s::storetest {
namespace {

class LimitsInteropTest : public StoreE2ETest {
 protected:
  std::vector<std::string> ExtraFlags() const override {
    return {"--max-txn-ops=4", "--max-request-bytes=4096"};
  }

  static std::string PutsTxn(int ops) {
    std::string txn = "\n";
    for (int i = 0; i < ops; ++i) absl::StrAppend(&txn, "put k", i, " v\n");
    return txn + "\n\n";
  }
};

TEST_P(LimitsInteropTest, MaxTxnOps) {
  EXPECT_EQ(CtlOk({"txn"}, PutsTxn(4)), "SUCCESS\n\nOK\n\nOK\n\nOK\n\nOK\n");
  CtlFails({"txn"}, "etcdserver: too many operations in txn request", PutsTxn(5));
  EXPECT_EQ(CtlOk({"get", "k4"}), "");
}

TEST_P(LimitsInteropTest, MaxRequestBytes) {
  CtlFails({"put", "big"}, "etcdserver: request is too large", std::string(5000, 'x'));
  EXPECT_EQ(CtlOk({"put", "fits"}, std::string(3000, 'y')), "OK\n");
  EXPECT_EQ(CtlOk({"get", "fits", "--print-value-only"}), std::string(3000, 'y') + "\n");
  EXPECT_EQ(CtlOk({"get", "big"}), "");
}

MINIK8S_INSTANTIATE_STORE_E2E(LimitsInteropTest);

}  // namespace
}  // namespace minik8s::storetest
