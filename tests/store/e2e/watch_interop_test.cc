// `etcdctl watch` against both backends: live events, history from a
// revision, prefixes, prev-kv and a compacted start revision.
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/store/e2e/background_etcdctl.h"
#include "tests/store/e2e/store_test_base.h"

namespace minik8s::storetest {
namespace {

constexpr absl::Duration kEventWait = absl::Seconds(10);

class WatchInteropTest : public StoreE2ETest {};

TEST_P(WatchInteropTest, LiveEventsArriveInOrder) {
  BackgroundEtcdctl watch(&backend());
  ASSERT_TRUE(watch.Start({"watch", "live"}).ok());
  // The watch is established at some unknown moment: write until the first
  // event shows up, then every later write must arrive, in order, exactly once.
  int first_seen = -1;
  int n = 0;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        EXPECT_EQ(CtlOk({"put", "live", absl::StrCat("v", n++)}), "OK\n");
        std::string out = watch.Output();
        for (int i = 0; i < n; ++i) {
          if (out.rfind(absl::StrCat("PUT\nlive\nv", i, "\n"), 0) == 0) {
            first_seen = i;
            return true;
          }
        }
        return false;
      },
      kEventWait))
      << "no watch event; output so far:\n"
      << watch.Output();
  ASSERT_EQ(CtlOk({"put", "other", "ignored"}), "OK\n");
  ASSERT_EQ(CtlOk({"put", "live", "last"}), "OK\n");
  ASSERT_EQ(CtlOk({"del", "live"}), "1\n");
  std::string expected;
  for (int i = first_seen; i < n; ++i) absl::StrAppend(&expected, "PUT\nlive\nv", i, "\n");
  absl::StrAppend(&expected, "PUT\nlive\nlast\n", "DELETE\nlive\n\n");
  EXPECT_EQ(watch.WaitForOutput(expected, kEventWait), expected);
}

TEST_P(WatchInteropTest, HistoryFromRevision) {
  ASSERT_EQ(CtlOk({"put", "k", "v1"}), "OK\n");  // 2
  ASSERT_EQ(CtlOk({"put", "k", "v2"}), "OK\n");  // 3
  ASSERT_EQ(CtlOk({"put", "j", "x"}), "OK\n");   // 4
  ASSERT_EQ(CtlOk({"del", "k"}), "1\n");         // 5
  BackgroundEtcdctl watch(&backend());
  ASSERT_TRUE(watch.Start({"watch", "k", "--rev=3"}).ok());
  std::string history = "PUT\nk\nv2\nDELETE\nk\n\n";
  EXPECT_EQ(watch.WaitForOutput(history, kEventWait), history);
  // History then live, on the same stream.
  ASSERT_EQ(CtlOk({"put", "k", "v3"}), "OK\n");
  std::string expected = history + "PUT\nk\nv3\n";
  EXPECT_EQ(watch.WaitForOutput(expected, kEventWait), expected);
}

TEST_P(WatchInteropTest, PrefixWatch) {
  ASSERT_EQ(CtlOk({"put", "p/1", "a"}), "OK\n");       // 2
  ASSERT_EQ(CtlOk({"put", "q", "b"}), "OK\n");         // 3
  ASSERT_EQ(CtlOk({"put", "p/2", "c"}), "OK\n");       // 4
  ASSERT_EQ(CtlOk({"put", "p", "d"}), "OK\n");         // 5: not under "p/"
  ASSERT_EQ(CtlOk({"del", "p/", "--prefix"}), "2\n");  // 6: one txn, two events
  BackgroundEtcdctl watch(&backend());
  ASSERT_TRUE(watch.Start({"watch", "--prefix", "p/", "--rev=1"}).ok());
  std::string expected = "PUT\np/1\na\nPUT\np/2\nc\nDELETE\np/1\n\nDELETE\np/2\n\n";
  EXPECT_EQ(watch.WaitForOutput(expected, kEventWait), expected);
}

TEST_P(WatchInteropTest, PrevKv) {
  ASSERT_EQ(CtlOk({"put", "k", "v1"}), "OK\n");  // 2
  ASSERT_EQ(CtlOk({"put", "k", "v2"}), "OK\n");  // 3
  ASSERT_EQ(CtlOk({"del", "k"}), "1\n");         // 4
  BackgroundEtcdctl watch(&backend());
  ASSERT_TRUE(watch.Start({"watch", "k", "--rev=2", "--prev-kv"}).ok());
  // With --prev-kv etcdctl prints the previous key/value before the event's.
  std::string expected =
      "PUT\nk\nv1\n"           // created: no previous kv
      "PUT\nk\nv1\nk\nv2\n"    // prev v1, now v2
      "DELETE\nk\nv2\nk\n\n";  // prev v2, now deleted
  EXPECT_EQ(watch.WaitForOutput(expected, kEventWait), expected);
}

TEST_P(WatchInteropTest, CompactedStartRevisionCancelsTheWatch) {
  for (int i = 1; i <= 4; ++i) ASSERT_EQ(CtlOk({"put", "k", absl::StrCat("v", i)}), "OK\n");
  ASSERT_EQ(CtlOk({"compaction", "4"}), "compacted revision 4\n");
  CommandResult r = backend().Etcdctl({"watch", "k", "--rev=2"}, "", absl::Seconds(15));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(
      r.output.find("watch was canceled (etcdserver: mvcc: required revision has been compacted)"),
      std::string::npos)
      << r.output;
  // Watching from exactly the compacted revision is still allowed.
  BackgroundEtcdctl watch(&backend());
  ASSERT_TRUE(watch.Start({"watch", "k", "--rev=4"}).ok());
  std::string expected = "PUT\nk\nv3\nPUT\nk\nv4\n";
  EXPECT_EQ(watch.WaitForOutput(expected, kEventWait), expected);
}

MINIK8S_INSTANTIATE_STORE_E2E(WatchInteropTest);

}  // namespace
}  // namespace minik8s::storetest
