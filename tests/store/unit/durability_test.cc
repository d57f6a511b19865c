#include <set>
#include <thread>

#include "store/errors.h"
#include "tests/store/unit/store_fixture.h"

namespace minik8s::store {
namespace {

TEST_F(StoreTest, ReopenKeepsRevisionsCompactionAndIdentity) {
  Put("a", "1");  // 2
  Put("a", "2");  // 3
  Put("b", "x");  // 4
  Delete("b");    // 5
  Put("c", "y");  // 6
  ASSERT_TRUE(Compact(3).ok());
  const uint64_t member = store_->member_id();
  Reopen();
  EXPECT_EQ(store_->CurrentRevision(), 6);
  EXPECT_EQ(store_->CompactedRevision(), 3);
  EXPECT_EQ(store_->member_id(), member);
  auto a = Get("a");
  EXPECT_EQ(a.kvs(0).value(), "2");
  EXPECT_EQ(a.kvs(0).create_revision(), 2);
  EXPECT_EQ(a.kvs(0).version(), 2);
  EXPECT_EQ(Get("b", "", 4).kvs(0).value(), "x");
  EXPECT_EQ(Get("b").kvs_size(), 0);
  EXPECT_EQ(Put("a", "3"), 7);  // the counter continues
  EXPECT_EQ(Get("a").kvs(0).version(), 3);
}

TEST_F(StoreTest, DeletesOnlyStoreStillKeepRevisionAfterCompaction) {
  Put("a", "1");  // 2
  Delete("a");    // 3
  ASSERT_TRUE(Compact(3).ok());
  Reopen();
  EXPECT_EQ(store_->CurrentRevision(), 3);
  EXPECT_EQ(Put("b", "1"), 4);
}

TEST(StoreOpen, SecondOpenOfSameDirFailsClearly) {
  testing::TempDir dir;
  StoreOptions o;
  o.data_dir = dir.Join("d");
  o.lease_expiry_loop = false;
  auto first = KvStore::Open(o);
  ASSERT_TRUE(first.ok());
  auto second = KvStore::Open(o);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use"), std::string::npos);
}

TEST_F(StoreTest, GroupCommitManyConcurrentWritersGetUniqueDenseRevisions) {
  constexpr int kThreads = 16, kPerThread = 100;
  std::vector<std::vector<int64_t>> revs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        etcdserverpb::PutRequest req;
        req.set_key("t" + std::to_string(t) + "/" + std::to_string(i % 10));
        req.set_value(std::to_string(i));
        etcdserverpb::PutResponse resp;
        ASSERT_TRUE(store_->PutSync(req, &resp).ok());
        revs[t].push_back(resp.header().revision());
        // A read after an acknowledged write sees it.
        EXPECT_GE(store_->CurrentRevision(), resp.header().revision());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  for (const auto& v : revs) {
    for (size_t i = 1; i < v.size(); ++i) EXPECT_LT(v[i - 1], v[i]);
    all.insert(v.begin(), v.end());
  }
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*all.begin(), 2);  // a fresh store is at revision 1
  EXPECT_EQ(*all.rbegin(), kThreads * kPerThread + 1);
  Reopen();
  EXPECT_EQ(store_->CurrentRevision(), kThreads * kPerThread + 1);
  EXPECT_EQ(Get("t3/9").kvs(0).value(), "99");
}

}  // namespace
}  // namespace minik8s::store
