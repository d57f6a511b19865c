// Request limits set by etcd's flags (--max-txn-ops, --max-request-bytes,
// --quota-backend-bytes), which minik8s-store accepts under the same names.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
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

class QuotaInteropTest : public StoreE2ETest {
 protected:
  // Far below what the test writes, far above an empty database.
  std::vector<std::string> ExtraFlags() const override { return {"--quota-backend-bytes=200000"}; }
};

TEST_P(QuotaInteropTest, NoSpaceAlarmUntilDisarmed) {
  using ::testing::HasSubstr;
  using ::testing::MatchesRegex;
  EXPECT_EQ(CtlOk({"put", "keep", "v"}), "OK\n");
  EXPECT_EQ(CtlOk({"alarm", "list"}), "");
  const std::string no_space = "etcdserver: mvcc: database space exceeded";
  CtlFails({"put", "big"}, no_space, std::string(400000, 'x'));
  // The alarm stays raised: a small put fails as well...
  CtlFails({"put", "small", "v"}, no_space);
  EXPECT_THAT(CtlOk({"alarm", "list"}), MatchesRegex("memberID:[0-9]+ alarm:NOSPACE ?\n"));
  EXPECT_THAT(CtlOk({"endpoint", "status", "-w", "json"}), HasSubstr("alarm:NOSPACE"));
  // ...while reads and deletes work.
  EXPECT_EQ(CtlOk({"get", "keep", "--print-value-only"}), "v\n");
  EXPECT_EQ(CtlOk({"del", "keep"}), "1\n");
  EXPECT_THAT(CtlOk({"alarm", "disarm"}), MatchesRegex("memberID:[0-9]+ alarm:NOSPACE ?\n"));
  EXPECT_EQ(CtlOk({"alarm", "list"}), "");
  EXPECT_EQ(CtlOk({"put", "small", "v"}), "OK\n");
  EXPECT_EQ(CtlOk({"get", "big"}), "");
}

MINIK8S_INSTANTIATE_STORE_E2E(QuotaInteropTest);

}  // namespace
}  // namespace minik8s::storetest
