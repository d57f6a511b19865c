// Shared fixture for store unit tests: a KvStore on a fresh temp dir with a
// fake clock and no background lease expiry (tests drive it).
#ifndef MINIK8S_TESTS_STORE_UNIT_STORE_FIXTURE_H_
#define MINIK8S_TESTS_STORE_UNIT_STORE_FIXTURE_H_

#include <memory>
#include <string>

#include "common/fake_clock.h"
#include "gtest/gtest.h"
#include "store/kvstore.h"
#include "testing/temp_dir.h"

namespace minik8s::store {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  StoreOptions Options() {
    StoreOptions o;
    o.data_dir = dir_.Join("data");
    o.clock = &clock_;
    o.lease_expiry_loop = false;
    o.compaction_pause = absl::ZeroDuration();
    o.watch.sync_interval = absl::Milliseconds(10);
    o.watch.stream_buffer = stream_buffer_;
    o.quota_backend_bytes = quota_;
    o.max_txn_ops = 8;
    return o;
  }

  void Reopen() {
    store_.reset();
    auto s = KvStore::Open(Options());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }

  int64_t Put(const std::string& k, const std::string& v, int64_t lease = 0) {
    etcdserverpb::PutRequest req;
    req.set_key(k);
    req.set_value(v);
    req.set_lease(lease);
    etcdserverpb::PutResponse resp;
    absl::Status s = store_->PutSync(req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp.header().revision();
  }

  int64_t Delete(const std::string& k, const std::string& end = "") {
    etcdserverpb::DeleteRangeRequest req;
    req.set_key(k);
    req.set_range_end(end);
    etcdserverpb::DeleteRangeResponse resp;
    EXPECT_TRUE(store_->DeleteRangeSync(req, &resp).ok());
    return resp.deleted();
  }

  etcdserverpb::RangeResponse Get(const std::string& k, const std::string& end = "",
                                  int64_t rev = 0) {
    etcdserverpb::RangeRequest req;
    req.set_key(k);
    req.set_range_end(end);
    req.set_revision(rev);
    etcdserverpb::RangeResponse resp;
    absl::Status s = store_->Range(req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp;
  }

  absl::Status Compact(int64_t rev, bool physical = true) {
    etcdserverpb::CompactionRequest req;
    req.set_revision(rev);
    req.set_physical(physical);
    etcdserverpb::CompactionResponse resp;
    return store_->CompactSync(req, &resp);
  }

  testing::TempDir dir_;
  common::FakeClock clock_;
  size_t stream_buffer_ = 1024;
  int64_t quota_ = 0;
  std::unique_ptr<KvStore> store_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_TESTS_STORE_UNIT_STORE_FIXTURE_H_
