// `etcdctl lease ...` against both backends: grant, keep-alive, time-to-live,
// list, revoke and expiry.
#include <regex>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/store/e2e/etcdctl_output.h"
#include "tests/store/e2e/store_test_base.h"

namespace minik8s::storetest {
namespace {

class LeaseInteropTest : public StoreE2ETest {
 protected:
  std::string Grant(int ttl) {
    std::string out = CtlOk({"lease", "grant", absl::StrCat(ttl)});
    absl::StatusOr<std::string> id = ParseLeaseGrant(out, ttl);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }
};

TEST_P(LeaseInteropTest, GrantKeepAliveTimeToLive) {
  std::string id = Grant(100);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(CtlOk({"lease", "keep-alive", "--once", id}),
            absl::StrCat("lease ", id, " keepalived with TTL(100)\n"));
  std::string ttl = CtlOk({"lease", "timetolive", id});
  EXPECT_TRUE(std::regex_match(
      ttl, std::regex(absl::StrCat("lease ", id,
                                   R"( granted with TTL\(100s\), remaining\((9[89]|100)s\)\n)"))))
      << ttl;

  ASSERT_EQ(CtlOk({"put", "k1", "v", absl::StrCat("--lease=", id)}), "OK\n");
  ASSERT_EQ(CtlOk({"put", "k2", "v", absl::StrCat("--lease=", id)}), "OK\n");
  std::string keys = CtlOk({"lease", "timetolive", "--keys", id});
  // etcd lists attached keys in no particular order.
  EXPECT_TRUE(std::regex_match(
      keys,
      std::regex(absl::StrCat(
          "lease ", id,
          R"( granted with TTL\(100s\), remaining\((9[89]|100)s\), attached keys\(\[(k1 k2|k2 k1)\]\)\n)"))))
      << keys;
  std::string json = CtlOk({"lease", "timetolive", "--keys", id, "-w", "json"});
  EXPECT_NE(json.find(R"("granted-ttl":100)"), std::string::npos) << json;
  // base64("k1") = azE=, base64("k2") = azI=
  EXPECT_NE(json.find("\"azE=\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"azI=\""), std::string::npos) << json;
  absl::StatusOr<int64_t> id_value = LeaseIdFromHex(id);
  ASSERT_TRUE(id_value.ok());
  EXPECT_NE(json.find(absl::StrCat("\"id\":", *id_value, ",")), std::string::npos) << json;
}

TEST_P(LeaseInteropTest, ListAndRevoke) {
  std::string a = Grant(60);
  std::string b = Grant(120);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_NE(a, b);
  std::string list = CtlOk({"lease", "list"});
  std::vector<std::string> lines = absl::StrSplit(list, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << list;
  EXPECT_EQ(lines[0], "found 2 leases");
  EXPECT_EQ((std::set<std::string>{lines[1], lines[2]}), (std::set<std::string>{a, b}));

  ASSERT_EQ(CtlOk({"put", "held", "v", absl::StrCat("--lease=", a)}), "OK\n");
  ASSERT_EQ(CtlOk({"put", "free", "v"}), "OK\n");
  EXPECT_EQ(CtlOk({"lease", "revoke", a}), absl::StrCat("lease ", a, " revoked\n"));
  EXPECT_EQ(CtlOk({"get", "held"}), "");
  EXPECT_EQ(CtlOk({"get", "free"}), "free\nv\n");
  EXPECT_EQ(CtlOk({"lease", "timetolive", a}), absl::StrCat("lease ", a, " already expired\n"));
  EXPECT_EQ(CtlOk({"lease", "list"}), absl::StrCat("found 1 leases\n", b, "\n"));
  CtlFails({"lease", "revoke", a}, "etcdserver: requested lease not found");
  CommandResult keepalive = Ctl({"lease", "keep-alive", "--once", a});
  EXPECT_NE(keepalive.exit_code, 0) << keepalive.output;
  EXPECT_NE(keepalive.output.find("requested lease not found"), std::string::npos)
      << keepalive.output;
}

TEST_P(LeaseInteropTest, ExpiryDeletesAttachedKeys) {
  std::string id = Grant(2);
  ASSERT_FALSE(id.empty());
  absl::Time granted = absl::Now();
  ASSERT_EQ(CtlOk({"put", "ephemeral", "v", absl::StrCat("--lease=", id)}), "OK\n");
  ASSERT_EQ(CtlOk({"put", "ephemeral2", "w", absl::StrCat("--lease=", id)}), "OK\n");
  ASSERT_EQ(CtlOk({"put", "stays", "s"}), "OK\n");
  EXPECT_EQ(CtlOk({"get", "ephemeral"}), "ephemeral\nv\n");
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return CtlOk({"get", "ephemeral", "--prefix"}) == "";
      },
      absl::Seconds(10)))
      << "keys of a 2 s lease still present after 10 s";
  EXPECT_GE(absl::Now() - granted, absl::Milliseconds(1500));
  EXPECT_EQ(CtlOk({"get", "stays"}), "stays\ns\n");
  EXPECT_EQ(CtlOk({"lease", "timetolive", id}), absl::StrCat("lease ", id, " already expired\n"));
  // Both keys went away in one revision: three puts (revisions 2..4), then
  // the expiry (revision 5).
  std::string json = CtlOk({"get", "stays", "-w", "json"});
  EXPECT_NE(json.find(R"("revision":5,)"), std::string::npos) << json;
}

MINIK8S_INSTANTIATE_STORE_E2E(LeaseInteropTest);

}  // namespace
}  // namespace minik8s::storetest
