// Maintenance.Defragment (KvStore::Defragment): the space of deleted and
// compacted records is returned, so a NOSPACE alarm can be disarmed for good
// without a restart.
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "store/errors.h"
#include "tests/store/unit/store_fixture.h"

namespace minik8s::store {
namespace {

class DefragmentTest : public StoreTest {
 protected:
  void SetUp() override {
    quota_ = 4 << 20;  // 4 MiB
    StoreTest::SetUp();
  }

  // Values RocksDB cannot compress, so their size is what the files hold.
  absl::Status TryPut(const std::string& k, size_t bytes) {
    etcdserverpb::PutRequest req;
    req.set_key(k);
    std::string value(bytes, '\0');
    for (char& c : value) c = static_cast<char>(rng_());
    req.set_value(std::move(value));
    etcdserverpb::PutResponse resp;
    return store_->PutSync(req, &resp);
  }

  absl::Status Disarm() {
    etcdserverpb::AlarmRequest req;
    req.set_action(etcdserverpb::AlarmRequest::DEACTIVATE);
    req.set_alarm(etcdserverpb::NOSPACE);
    etcdserverpb::AlarmResponse resp;
    return store_->AlarmSync(req, &resp);
  }

  std::mt19937 rng_{42};
};

TEST_F(DefragmentTest, ShrinksTheDatabaseAfterDeleteAndCompaction) {
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(TryPut(absl::StrCat("big/", i), 100 << 10).ok());
  ASSERT_TRUE(store_->DefragmentSync().ok());
  const int64_t full = store_->DbSize();
  EXPECT_GT(full, 1 << 20);
  EXPECT_EQ(Delete("big/", "big0"), 20);
  ASSERT_TRUE(Compact(store_->CurrentRevision()).ok());
  ASSERT_TRUE(store_->DefragmentSync().ok());
  EXPECT_LT(store_->DbSize(), full / 10) << "before: " << full;
  // Data and revisions are unchanged by it.
  const int64_t rev = store_->CurrentRevision();
  EXPECT_EQ(Put("after", "1"), rev + 1);
  EXPECT_EQ(Get("after").kvs(0).value(), "1");
}

TEST_F(DefragmentTest, NoSpaceAlarmCanBeDisarmedForGoodWithoutARestart) {
  int written = 0;
  absl::Status s;
  while ((s = TryPut(absl::StrCat("big/", written), 256 << 10)).ok()) {
    ++written;
    ASSERT_LT(written, 100) << "the quota was never reached";
  }
  EXPECT_EQ(s, ErrNoSpace());
  ASSERT_TRUE(store_->NoSpaceAlarm());
  EXPECT_GT(Delete("big/", "big0"), 0);
  ASSERT_TRUE(Compact(store_->CurrentRevision()).ok());
  ASSERT_TRUE(store_->DefragmentSync().ok());
  ASSERT_TRUE(Disarm().ok());
  EXPECT_FALSE(store_->NoSpaceAlarm());
  // The space is free for writes again, several of them.
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(TryPut(absl::StrCat("again/", i), 256 << 10).ok()) << i;
  }
  EXPECT_FALSE(store_->NoSpaceAlarm());
}

TEST_F(DefragmentTest, AfterStopAnswersStopped) {
  store_->Stop();
  EXPECT_EQ(store_->DefragmentSync(), ErrStopped());
}

}  // namespace
}  // namespace minik8s::store
