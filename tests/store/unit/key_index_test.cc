#include "store/key_index.h"

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "store/index.h"

namespace minik8s::store {
namespace {

// The worked example of key_index.h.
KeyIndex Example() {
  KeyIndex ki("foo");
  EXPECT_TRUE(ki.Put({1, 0}).ok());
  EXPECT_TRUE(ki.Put({2, 0}).ok());
  EXPECT_TRUE(ki.Tombstone({3, 0}).ok());
  EXPECT_TRUE(ki.Put({4, 0}).ok());
  EXPECT_TRUE(ki.Put({5, 0}).ok());
  EXPECT_TRUE(ki.Tombstone({6, 0}).ok());
  EXPECT_TRUE(ki.Put({7, 0}).ok());
  return ki;
}

TEST(KeyIndex, GenerationsAndGet) {
  KeyIndex ki = Example();
  ASSERT_EQ(ki.generations().size(), 3u);
  KeyAt at;
  ASSERT_TRUE(ki.Get(2, &at));
  EXPECT_EQ(at.modified.main, 2);
  EXPECT_EQ(at.created.main, 1);
  EXPECT_EQ(at.version, 2);
  EXPECT_FALSE(ki.Get(0, &at));
  EXPECT_FALSE(ki.Get(3, &at));
  ASSERT_TRUE(ki.Get(5, &at));
  EXPECT_EQ(at.created.main, 4);
  EXPECT_EQ(at.version, 2);
  EXPECT_FALSE(ki.Get(6, &at));
  ASSERT_TRUE(ki.Get(100, &at));
  EXPECT_EQ(at.modified.main, 7);
  EXPECT_EQ(at.version, 1);
}

TEST(KeyIndex, RejectsOldRevisionsAndDoubleDelete) {
  KeyIndex ki("k");
  ASSERT_TRUE(ki.Put({5, 0}).ok());
  EXPECT_FALSE(ki.Put({4, 0}).ok());
  EXPECT_FALSE(ki.Put({5, 0}).ok());
  ASSERT_TRUE(ki.Tombstone({6, 0}).ok());
  EXPECT_FALSE(ki.Tombstone({7, 0}).ok());
}

TEST(KeyIndex, CompactKeepsLatestAtOrBelow) {
  KeyIndex ki = Example();
  absl::flat_hash_set<Revision> keep;
  ki.Compact(4, &keep);
  EXPECT_EQ(keep, (absl::flat_hash_set<Revision>{{4, 0}}));
  ASSERT_EQ(ki.generations().size(), 2u);
  EXPECT_EQ(ki.generations()[0].revs.front().main, 4);
  KeyAt at;
  ASSERT_TRUE(ki.Get(5, &at));
  EXPECT_EQ(at.version, 2);  // versions survive compaction
  keep.clear();
  ki.Compact(6, &keep);
  EXPECT_TRUE(keep.empty());
  ASSERT_EQ(ki.generations().size(), 1u);
  EXPECT_EQ(ki.generations()[0].revs.front().main, 7);
}

TEST(KeyIndex, CompactDeletedKeyBecomesEmpty) {
  KeyIndex ki("k");
  ASSERT_TRUE(ki.Put({1, 0}).ok());
  ASSERT_TRUE(ki.Tombstone({2, 0}).ok());
  absl::flat_hash_set<Revision> keep;
  ki.Compact(1, &keep);
  EXPECT_EQ(keep.size(), 1u);
  EXPECT_FALSE(ki.Empty());
  keep.clear();
  ki.Compact(2, &keep);
  EXPECT_TRUE(keep.empty());
  EXPECT_TRUE(ki.Empty());
}

TEST(Index, RangeConventionsLimitAndCompaction) {
  Index idx;
  ASSERT_TRUE(idx.Put("a", {1, 0}).ok());
  ASSERT_TRUE(idx.Put("ab", {2, 0}).ok());
  ASSERT_TRUE(idx.Put("b", {3, 0}).ok());
  ASSERT_TRUE(idx.Tombstone("ab", {4, 0}).ok());
  int64_t total = 0;
  EXPECT_EQ(idx.Range("a", "", 10, 0, &total).size(), 1u);
  EXPECT_EQ(idx.Range("a", "b", 3, 0, &total).size(), 2u);  // prefix "a" at rev 3
  EXPECT_EQ(idx.Range("a", "b", 4, 0, &total).size(), 1u);  // ab deleted at 4
  auto all = idx.Range("a", std::string(1, '\0'), 3, 2, &total);
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(total, 3);
  EXPECT_TRUE(idx.Range("b", "a", 4, 0, &total).empty());
  auto keep = idx.Compact(4);
  EXPECT_EQ(idx.KeyCount(), 2u);  // "ab" is gone entirely
  EXPECT_TRUE(keep.contains(Revision{1, 0}));
  EXPECT_TRUE(keep.contains(Revision{3, 0}));
  EXPECT_FALSE(keep.contains(Revision{2, 0}));
}

TEST(Index, CompactionInStepsGivesTheSameResultAsInOne) {
  // Keys k000..k099 at revisions 1..100; every third one deleted afterwards,
  // every fifth one rewritten.
  auto build = [](Index* idx) {
    int64_t rev = 0;
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(idx->Put(absl::StrFormat("k%03d", i), {++rev, 0}).ok());
    for (int i = 0; i < 100; i += 3) {
      ASSERT_TRUE(idx->Tombstone(absl::StrFormat("k%03d", i), {++rev, 0}).ok());
    }
    for (int i = 1; i < 100; i += 5)
      ASSERT_TRUE(idx->Put(absl::StrFormat("k%03d", i), {++rev, 0}).ok());
  };
  Index whole, steps;
  build(&whole);
  build(&steps);
  const auto keep_whole = whole.Compact(150, 1000);
  const auto keep_steps = steps.Compact(150, 7);  // resumes 15 times
  EXPECT_EQ(keep_whole, keep_steps);
  EXPECT_EQ(whole.KeyCount(), steps.KeyCount());
  // 34 keys deleted, 7 of them (k006, k021, ... k096) written again.
  EXPECT_EQ(steps.KeyCount(), 73u);
  int64_t total_whole = 0, total_steps = 0;
  EXPECT_EQ(whole.Range("k", "l", 200, 0, &total_whole).size(),
            steps.Range("k", "l", 200, 0, &total_steps).size());
  EXPECT_EQ(total_whole, total_steps);
}

TEST(Index, PointLookupsFollowKeysThatCompactionDropsAndThatComeBack) {
  Index idx;
  ASSERT_TRUE(idx.Put("gone", {1, 0}).ok());
  ASSERT_TRUE(idx.Put("kept", {2, 0}).ok());
  ASSERT_TRUE(idx.Tombstone("gone", {3, 0}).ok());
  KeyAt at;
  EXPECT_TRUE(idx.Get("gone", 2, &at));
  EXPECT_EQ(at.modified, (Revision{1, 0}));
  idx.Compact(3);  // "gone" ended at 3: dropped from the index
  EXPECT_EQ(idx.KeyCount(), 1u);
  EXPECT_FALSE(idx.Get("gone", 3, &at));
  EXPECT_FALSE(idx.Tombstone("gone", {4, 0}).ok());
  EXPECT_EQ(idx.Range("gone", "", 3, 0, nullptr).size(), 0u);
  // Back again: a new history, found by Get and by a single-key Range.
  ASSERT_TRUE(idx.Put("gone", {5, 0}).ok());
  ASSERT_TRUE(idx.Get("gone", 5, &at));
  EXPECT_EQ(at.modified, (Revision{5, 0}));
  EXPECT_EQ(at.created, (Revision{5, 0}));
  EXPECT_EQ(at.version, 1);
  EXPECT_EQ(idx.Range("gone", "", 5, 0, nullptr).size(), 1u);
  EXPECT_EQ(idx.Range("a", std::string(1, '\0'), 5, 0, nullptr).size(), 2u);
  EXPECT_TRUE(idx.Get("kept", 5, &at));
  EXPECT_EQ(at.modified, (Revision{2, 0}));
}

}  // namespace
}  // namespace minik8s::store
