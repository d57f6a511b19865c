#include "store/auto_compactor.h"
#include "store/backend.h"
#include "store/errors.h"
#include "tests/store/unit/store_fixture.h"

namespace minik8s::store {
namespace {

int64_t HistoryRecords(Backend* b) {
  int64_t n = 0;
  EXPECT_TRUE(b->ScanHistory(0, 1 << 30, [&](const Revision&, bool, const std::string&) {
                 ++n;
                 return true;
               }).ok());
  return n;
}

TEST_F(StoreTest, CompactErrorsAndEffect) {
  Put("a", "1");  // 2
  Put("a", "2");  // 3
  Put("b", "1");  // 4
  Delete("b");    // 5
  Put("a", "3");  // 6
  EXPECT_EQ(Compact(7), ErrFutureRev());
  ASSERT_TRUE(Compact(5).ok());
  EXPECT_EQ(store_->CompactedRevision(), 5);
  EXPECT_EQ(store_->FinishedCompactRevision(), 5);
  EXPECT_EQ(Compact(5), ErrCompacted());
  EXPECT_EQ(Compact(4), ErrCompacted());
  EXPECT_EQ(Get("a", "", 5).kvs(0).value(), "2");  // latest <= 5 is kept
  EXPECT_EQ(Get("a").kvs(0).value(), "3");
  EXPECT_EQ(Get("a").kvs(0).version(), 3);
  EXPECT_EQ(Get("b", "", 5).kvs_size(), 0);
  ASSERT_TRUE(Compact(6, /*physical=*/false).ok());
}

TEST_F(StoreTest, CrashBetweenSchedulingAndFinishingIsCompletedOnOpen) {
  // Put i is at revision i + 2.
  for (int i = 0; i < 50; ++i) Put("k" + std::to_string(i % 5), std::to_string(i));
  store_.reset();
  {
    // Simulate a crash right after the compaction was scheduled: the meta
    // says "scheduled 41" but nothing was deleted.
    auto b = Backend::Open(dir_.Join("data"));
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(HistoryRecords(b->get()), 50);
    rocksdb::WriteBatch wb;
    wb.Put((*b)->meta(), kMetaScheduledCompact, EncodeInt64(41));
    ASSERT_TRUE((*b)->Write(&wb).ok());
  }
  Reopen();
  EXPECT_EQ(store_->CompactedRevision(), 41);
  EXPECT_EQ(store_->FinishedCompactRevision(), 41);
  EXPECT_EQ(Get("k0", "", 41).kvs(0).value(), "35");
  etcdserverpb::RangeRequest req;
  req.set_key("k0");
  req.set_revision(40);
  etcdserverpb::RangeResponse resp;
  EXPECT_EQ(store_->Range(req, &resp), ErrCompacted());
  store_.reset();
  auto b = Backend::Open(dir_.Join("data"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(HistoryRecords(b->get()), 5 + 10);  // one per key at <=41, plus 42..51
}

TEST_F(StoreTest, AutoCompactionRevisionMode) {
  for (int i = 0; i < 20; ++i) Put("k", std::to_string(i));  // revisions 2..21
  auto cfg = ParseAutoCompaction("revision", "5");
  ASSERT_TRUE(cfg.ok());
  AutoCompactor c(store_.get(), *cfg, &clock_);
  EXPECT_EQ(c.Tick(), 16);
  EXPECT_EQ(store_->CompactedRevision(), 16);
  EXPECT_EQ(c.Tick(), 0);  // nothing new
}

TEST_F(StoreTest, AutoCompactionPeriodicMode) {
  auto cfg = ParseAutoCompaction("periodic", "1h");
  ASSERT_TRUE(cfg.ok());
  AutoCompactor c(store_.get(), *cfg, &clock_);
  Put("k", "1");
  EXPECT_EQ(c.Tick(), 0);  // sample (t0, 2)
  clock_.Advance(absl::Minutes(30));
  Put("k", "2");
  EXPECT_EQ(c.Tick(), 0);  // sample (t0+30m, 3); nothing is an hour old
  clock_.Advance(absl::Minutes(31));
  Put("k", "3");
  EXPECT_EQ(c.Tick(), 2);  // the t0 sample is now over an hour old
  clock_.Advance(absl::Minutes(30));
  EXPECT_EQ(c.Tick(), 3);
}

TEST(AutoCompaction, ParsesFlagsLikeEtcd) {
  EXPECT_EQ(ParseAutoCompaction("periodic", "0")->mode, AutoCompactionConfig::Mode::kOff);
  EXPECT_EQ(ParseAutoCompaction("periodic", "1")->retention, absl::Hours(1));
  EXPECT_EQ(ParseAutoCompaction("periodic", "30m")->retention, absl::Minutes(30));
  EXPECT_EQ(ParseAutoCompaction("revision", "100")->revisions, 100);
  EXPECT_FALSE(ParseAutoCompaction("revision", "1h").ok());
  EXPECT_FALSE(ParseAutoCompaction("weekly", "1").ok());
  EXPECT_FALSE(ParseAutoCompaction("periodic", "soon").ok());
}

}  // namespace
}  // namespace minik8s::store
