// A large physical compaction runs in small steps beside the writes: puts
// made while it runs are answered while it runs, none waiting for the whole
// deletion; and a compaction interrupted half-way is finished by the next
// Open().
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "store/backend.h"
#include "store/errors.h"
#include "tests/store/unit/store_fixture.h"

namespace minik8s::store {
namespace {

constexpr int kKeys = 100000;

class CompactionStallTest : public StoreTest {
 protected:
  void SetUp() override { OpenWithPause(absl::ZeroDuration()); }

  // Txns of 1000 puts (fast to fill), compaction steps `pause` apart.
  void OpenWithPause(absl::Duration pause) {
    store_.reset();
    StoreOptions o = Options();
    o.max_txn_ops = 1000;
    o.compaction_pause = pause;
    auto opened = KvStore::Open(o);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }

  // Puts kKeys distinct keys under "bulk/", 1000 per txn, and deletes them
  // in one DeleteRange; returns its revision.
  int64_t PutAndDeleteBulk() {
    for (int i = 0; i < kKeys; i += 1000) {
      etcdserverpb::TxnRequest txn;
      for (int j = i; j < i + 1000; ++j) {
        auto* put = txn.add_success()->mutable_request_put();
        put->set_key(absl::StrFormat("bulk/%08d", j));
        put->set_value(std::string(64, 'v'));
      }
      etcdserverpb::TxnResponse resp;
      absl::Status s = store_->TxnSync(txn, &resp);
      EXPECT_TRUE(s.ok()) << s;
    }
    etcdserverpb::DeleteRangeRequest del;
    del.set_key("bulk/");
    del.set_range_end("bulk0");
    etcdserverpb::DeleteRangeResponse resp;
    EXPECT_TRUE(store_->DeleteRangeSync(del, &resp).ok());
    EXPECT_EQ(resp.deleted(), kKeys);
    return resp.header().revision();
  }

  // History records on disk; closes the store to open its backend.
  int64_t HistoryRecords() {
    store_.reset();
    auto b = Backend::Open(dir_.Join("data"));
    EXPECT_TRUE(b.ok()) << b.status();
    if (!b.ok()) return -1;
    int64_t n = 0;
    EXPECT_TRUE((*b)->ScanHistoryKeys("", int64_t{1} << 40,
                                      [&](std::string_view, const Revision&, bool) {
                                        ++n;
                                        return true;
                                      })
                    .ok());
    return n;
  }
};

TEST_F(CompactionStallTest, PutsAreAnsweredWhileALargeCompactionRuns) {
  const int64_t rev = PutAndDeleteBulk();
  etcdserverpb::CompactionRequest req;
  req.set_revision(rev);
  req.set_physical(true);
  etcdserverpb::CompactionResponse resp;
  absl::Notification compacted;
  absl::Status compact_status;
  const absl::Time start = absl::Now();
  store_->Compact(&req, &resp, [&](absl::Status s) {
    compact_status = s;
    compacted.Notify();
  });
  // One writer, one put at a time, for as long as the compaction runs.
  int puts_during = 0;
  absl::Duration slowest;
  int64_t last_rev = 0;
  for (int i = 0; !compacted.HasBeenNotified(); ++i) {
    const absl::Time put_start = absl::Now();
    last_rev = Put(absl::StrCat("live/", i % 10), "x");
    slowest = std::max(slowest, absl::Now() - put_start);
    if (!compacted.HasBeenNotified()) ++puts_during;
  }
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(compact_status.ok()) << compact_status;
  std::cerr << "compaction of " << 2 * kKeys << " records took " << took << "; " << puts_during
            << " puts answered meanwhile, slowest " << slowest << "\n";
  // Not queued behind the deletion: puts were answered while it ran, and no
  // single put waited anywhere near the whole compaction. The bound is
  // generous (a loaded machine), the figures in the log are what to watch.
  EXPECT_GT(puts_during, 0);
  EXPECT_LT(slowest, absl::Seconds(2));
  // Only the puts made meanwhile are left of the history at or below `rev`
  // plus above it: every bulk record (puts and tombstones) is gone.
  EXPECT_EQ(store_->FinishedCompactRevision(), rev);
  EXPECT_EQ(Get("bulk/", "bulk0").kvs_size(), 0);
  EXPECT_EQ(HistoryRecords(), last_rev - rev);
}

TEST_F(CompactionStallTest, CompactionStoppedHalfWayIsFinishedOnOpen) {
  // Slow steps, so that Stop() finds the deletion under way.
  OpenWithPause(absl::Milliseconds(20));
  const int64_t rev = PutAndDeleteBulk();
  etcdserverpb::CompactionRequest req;
  req.set_revision(rev);
  req.set_physical(true);
  etcdserverpb::CompactionResponse resp;
  absl::Notification answered;
  absl::Status status;
  store_->Compact(&req, &resp, [&](absl::Status s) {
    status = s;
    answered.Notify();
  });
  // 200 steps of 20 ms at least: stopping once the first is written leaves
  // most undone (waiting for it, not for a fixed time: the index part
  // before the first step takes long in a sanitizer build).
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (store_->CompactionDeletedRecords() == 0 && !answered.HasBeenNotified() &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_GT(store_->CompactionDeletedRecords(), 0);
  store_->Stop();
  answered.WaitForNotification();
  ASSERT_EQ(status, ErrStopped()) << "the compaction should still have been running";
  EXPECT_EQ(store_->FinishedCompactRevision(), 0);
  const int64_t left = HistoryRecords();
  EXPECT_GT(left, 0);
  EXPECT_LT(left, 2 * kKeys);  // some steps were done (and survive the close)
  Reopen();                    // finishes the compaction before it serves
  EXPECT_EQ(store_->CompactedRevision(), rev);
  EXPECT_EQ(store_->FinishedCompactRevision(), rev);
  EXPECT_EQ(Put("after", "1"), rev + 1);
  EXPECT_EQ(HistoryRecords(), 1);
}

TEST_F(CompactionStallTest, LongRunsOfObsoleteRecordsAroundKeptOnesAreDeletedExactly) {
  // Runs of obsolete records long enough for range deletions (a bulk txn
  // and its DeleteRange, many revisions of one key) lie between records the
  // compaction must keep; steps of 10 deletions end runs in the middle too.
  StoreOptions o = Options();
  o.max_txn_ops = 1000;
  o.compaction_batch = 10;
  store_.reset();
  auto opened = KvStore::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  store_ = std::move(*opened);
  Put("keep/a", "a");  // 2
  etcdserverpb::TxnRequest txn;
  for (int j = 0; j < 500; ++j) {
    auto* put = txn.add_success()->mutable_request_put();
    put->set_key(absl::StrFormat("bulk/%04d", j));
    put->set_value("v");
  }
  etcdserverpb::TxnResponse txn_resp;
  ASSERT_TRUE(store_->TxnSync(txn, &txn_resp).ok());          // 3, subs 0..499
  Put("keep/b", "b");                                         // 4
  for (int i = 0; i < 100; ++i) Put("hot", absl::StrCat(i));  // 5..104
  Put("keep/c", "c");                                         // 105
  EXPECT_EQ(Delete("bulk/", "bulk0"), 500);                   // 106
  const int64_t rev = Put("hot", "last-before");              // 107
  const int64_t after = Put("hot", "after");                  // 108
  ASSERT_TRUE(Compact(rev).ok());
  EXPECT_EQ(store_->FinishedCompactRevision(), rev);
  auto check = [&] {
    EXPECT_EQ(Get("keep/a", "", rev).kvs(0).value(), "a");
    EXPECT_EQ(Get("keep/b", "", rev).kvs(0).value(), "b");
    EXPECT_EQ(Get("keep/c", "", rev).kvs(0).value(), "c");
    EXPECT_EQ(Get("hot", "", rev).kvs(0).value(), "last-before");
    EXPECT_EQ(Get("hot").kvs(0).value(), "after");
    EXPECT_EQ(Get("hot").kvs(0).version(), 102);
    EXPECT_EQ(Get("bulk/", "bulk0", rev).kvs_size(), 0);
  };
  check();
  // keep/a, keep/b, keep/c and hot at `rev`, plus hot at `after`.
  EXPECT_EQ(HistoryRecords(), 5);
  Reopen();  // the index is rebuilt from what the compaction left
  check();
  EXPECT_EQ(store_->CurrentRevision(), after);
  EXPECT_EQ(HistoryRecords(), 5);
}

}  // namespace
}  // namespace minik8s::store
