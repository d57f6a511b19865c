#include "store/errors.h"
#include "tests/store/unit/store_fixture.h"

namespace minik8s::store {
namespace {

using etcdserverpb::RangeRequest;
using etcdserverpb::RangeResponse;

std::vector<std::string> Keys(const RangeResponse& r) {
  std::vector<std::string> out;
  for (const auto& kv : r.kvs()) out.push_back(kv.key());
  return out;
}

TEST_F(StoreTest, PutSetsRevisionsAndVersions) {
  // As etcd: a fresh store is at revision 1, the first write gets 2.
  EXPECT_EQ(store_->CurrentRevision(), 1);
  EXPECT_EQ(Put("foo", "1"), 2);
  EXPECT_EQ(Put("foo", "2"), 3);
  auto r = Get("foo");
  ASSERT_EQ(r.kvs_size(), 1);
  EXPECT_EQ(r.kvs(0).create_revision(), 2);
  EXPECT_EQ(r.kvs(0).mod_revision(), 3);
  EXPECT_EQ(r.kvs(0).version(), 2);
  EXPECT_EQ(r.header().revision(), 3);
  EXPECT_NE(r.header().member_id(), 0u);
  EXPECT_EQ(Delete("foo"), 1);
  EXPECT_EQ(Put("foo", "3"), 5);
  r = Get("foo");
  EXPECT_EQ(r.kvs(0).create_revision(), 5);
  EXPECT_EQ(r.kvs(0).version(), 1);
  EXPECT_EQ(Get("foo", "", 3).kvs(0).value(), "2");
  EXPECT_EQ(Get("foo", "", 4).kvs_size(), 0);
}

TEST_F(StoreTest, RangeEndConventions) {
  for (const char* k : {"a", "a/1", "a/2", "b", "c"}) Put(k, "v");
  EXPECT_EQ(Keys(Get("a/", "a0")), (std::vector<std::string>{"a/1", "a/2"}));
  EXPECT_EQ(Keys(Get("b", std::string(1, '\0'))), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(Get(std::string(1, '\0'), std::string(1, '\0')).kvs_size(), 5);
  EXPECT_EQ(Get("a", "").kvs_size(), 1);
  EXPECT_EQ(Get("c", "a").kvs_size(), 0);
  RangeRequest req;
  RangeResponse resp;
  EXPECT_EQ(store_->Range(req, &resp), ErrEmptyKey());
}

TEST_F(StoreTest, RangeLimitMoreCountKeysOnlyCountOnly) {
  for (int i = 0; i < 5; ++i) Put("k" + std::to_string(i), "value" + std::to_string(i));
  RangeRequest req;
  req.set_key("k");
  req.set_range_end("l");
  req.set_limit(2);
  RangeResponse resp;
  ASSERT_TRUE(store_->Range(req, &resp).ok());
  EXPECT_EQ(Keys(resp), (std::vector<std::string>{"k0", "k1"}));
  EXPECT_TRUE(resp.more());
  EXPECT_EQ(resp.count(), 5);
  req.set_limit(5);
  resp.Clear();
  ASSERT_TRUE(store_->Range(req, &resp).ok());
  EXPECT_FALSE(resp.more());
  req.set_limit(0);
  req.set_keys_only(true);
  resp.Clear();
  ASSERT_TRUE(store_->Range(req, &resp).ok());
  EXPECT_EQ(resp.kvs(0).value(), "");
  EXPECT_EQ(resp.kvs(0).mod_revision(), 2);
  req.set_count_only(true);
  resp.Clear();
  ASSERT_TRUE(store_->Range(req, &resp).ok());
  EXPECT_EQ(resp.kvs_size(), 0);
  EXPECT_EQ(resp.count(), 5);
}

TEST_F(StoreTest, RangeRevisionErrors) {
  Put("a", "1");
  Put("a", "2");
  Put("a", "3");
  RangeRequest req;
  req.set_key("a");
  req.set_revision(5);
  RangeResponse resp;
  EXPECT_EQ(store_->Range(req, &resp), ErrFutureRev());
  ASSERT_TRUE(Compact(3).ok());
  req.set_revision(2);
  EXPECT_EQ(store_->Range(req, &resp), ErrCompacted());
  req.set_revision(3);  // the compaction revision itself is readable
  resp.Clear();
  ASSERT_TRUE(store_->Range(req, &resp).ok());
  EXPECT_EQ(resp.kvs(0).value(), "2");
  EXPECT_EQ(resp.header().revision(), 4);
}

TEST_F(StoreTest, RangeSortAndFilters) {
  Put("a", "z");  // 2
  Put("b", "y");  // 3
  Put("c", "x");  // 4
  Put("a", "w");  // 5: a has version 2, mod 5
  RangeRequest req;
  req.set_key("a");
  req.set_range_end("d");
  RangeResponse resp;
  req.set_sort_order(RangeRequest::DESCEND);
  ASSERT_TRUE(store_->Range(req, &resp).ok());
  EXPECT_EQ(Keys(resp), (std::vector<std::string>{"c", "b", "a"}));
  req.set_sort_target(RangeRequest::VALUE);
  req.set_sort_order(RangeRequest::NONE);  // non-key target defaults to ascending
  resp.Clear();
  ASSERT_TRUE(store_->Range(req, &resp).ok());
  EXPECT_EQ(Keys(resp), (std::vector<std::string>{"a", "c", "b"}));
  req.set_sort_target(RangeRequest::MOD);
  req.set_sort_order(RangeRequest::DESCEND);
  req.set_limit(1);
  resp.Clear();
  ASSERT_TRUE(store_->Range(req, &resp).ok());
  EXPECT_EQ(Keys(resp), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(resp.more());
  req.set_limit(0);
  req.set_sort_target(RangeRequest::CREATE);
  req.set_sort_order(RangeRequest::ASCEND);
  resp.Clear();
  ASSERT_TRUE(store_->Range(req, &resp).ok());
  EXPECT_EQ(Keys(resp), (std::vector<std::string>{"a", "b", "c"}));
  req.set_sort_target(RangeRequest::VERSION);
  req.set_sort_order(RangeRequest::DESCEND);
  resp.Clear();
  ASSERT_TRUE(store_->Range(req, &resp).ok());
  EXPECT_EQ(resp.kvs(0).key(), "a");

  RangeRequest f;
  f.set_key("a");
  f.set_range_end("d");
  f.set_min_mod_revision(3);
  f.set_max_mod_revision(4);
  resp.Clear();
  ASSERT_TRUE(store_->Range(f, &resp).ok());
  EXPECT_EQ(Keys(resp), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(resp.count(), 3);  // count is before filtering, as etcd
  f.Clear();
  f.set_key("a");
  f.set_range_end("d");
  f.set_min_create_revision(3);
  resp.Clear();
  ASSERT_TRUE(store_->Range(f, &resp).ok());
  EXPECT_EQ(Keys(resp), (std::vector<std::string>{"b", "c"}));
  f.set_min_create_revision(0);
  f.set_max_create_revision(2);
  resp.Clear();
  ASSERT_TRUE(store_->Range(f, &resp).ok());
  EXPECT_EQ(Keys(resp), (std::vector<std::string>{"a"}));
}

TEST_F(StoreTest, PutOptionsAndErrors) {
  etcdserverpb::PutRequest req;
  etcdserverpb::PutResponse resp;
  req.set_key("k");
  req.set_ignore_value(true);
  EXPECT_EQ(store_->PutSync(req, &resp), ErrKeyNotFound());
  req.Clear();
  req.set_key("k");
  req.set_ignore_lease(true);
  EXPECT_EQ(store_->PutSync(req, &resp), ErrKeyNotFound());
  req.Clear();
  req.set_key("k");
  req.set_lease(12345);
  EXPECT_EQ(store_->PutSync(req, &resp), ErrLeaseNotFound());
  req.Clear();
  EXPECT_EQ(store_->PutSync(req, &resp), ErrEmptyKey());
  EXPECT_EQ(store_->CurrentRevision(), 1);

  Put("k", "v1");
  req.set_key("k");
  req.set_ignore_value(true);
  req.set_prev_kv(true);
  resp.Clear();
  ASSERT_TRUE(store_->PutSync(req, &resp).ok());
  EXPECT_EQ(resp.prev_kv().value(), "v1");
  auto r = Get("k");
  EXPECT_EQ(r.kvs(0).value(), "v1");
  EXPECT_EQ(r.kvs(0).version(), 2);

  req.Clear();
  req.set_key("big");
  req.set_value(std::string(store_->options().max_request_bytes + 1, 'x'));
  EXPECT_EQ(store_->PutSync(req, &resp), ErrRequestTooLarge());
}

TEST_F(StoreTest, DeleteRangePrevKvAndNoopKeepsRevision) {
  Put("a/1", "x");
  Put("a/2", "y");
  etcdserverpb::DeleteRangeRequest req;
  req.set_key("a/");
  req.set_range_end("a0");
  req.set_prev_kv(true);
  etcdserverpb::DeleteRangeResponse resp;
  ASSERT_TRUE(store_->DeleteRangeSync(req, &resp).ok());
  EXPECT_EQ(resp.deleted(), 2);
  ASSERT_EQ(resp.prev_kvs_size(), 2);
  EXPECT_EQ(resp.prev_kvs(1).value(), "y");
  EXPECT_EQ(resp.header().revision(), 4);
  EXPECT_EQ(Delete("nothing"), 0);
  EXPECT_EQ(store_->CurrentRevision(), 4);
}

class QuotaTest : public StoreTest {
 protected:
  void SetUp() override {
    quota_ = 64 * 1024;
    Reopen();
  }
};

TEST_F(QuotaTest, WriteBeyondQuotaRaisesALastingNoSpaceAlarm) {
  Put("keep", "v");
  etcdserverpb::PutRequest req;
  req.set_key("k");
  req.set_value(std::string(100 * 1024, 'x'));
  etcdserverpb::PutResponse resp;
  EXPECT_EQ(store_->PutSync(req, &resp), ErrNoSpace());
  EXPECT_TRUE(store_->NoSpaceAlarm());
  // As etcd: while the alarm is raised, even small writes that add data fail...
  req.set_value("small");
  EXPECT_EQ(store_->PutSync(req, &resp), ErrNoSpace());
  etcdserverpb::LeaseGrantRequest grant;
  grant.set_ttl(60);
  etcdserverpb::LeaseGrantResponse granted;
  EXPECT_EQ(store_->LeaseGrantSync(grant, &granted), ErrNoSpace());
  etcdserverpb::TxnRequest txn;
  txn.add_success()->mutable_request_put()->set_key("t");
  etcdserverpb::TxnResponse txn_resp;
  EXPECT_EQ(store_->TxnSync(txn, &txn_resp), ErrNoSpace());
  // ...reads and deletes do not.
  EXPECT_EQ(Get("keep").kvs_size(), 1);
  EXPECT_EQ(Delete("keep"), 1);

  // The alarm survives a restart.
  Reopen();
  EXPECT_TRUE(store_->NoSpaceAlarm());
  etcdserverpb::AlarmRequest list;
  etcdserverpb::AlarmResponse alarms;
  ASSERT_TRUE(store_->AlarmSync(list, &alarms).ok());
  ASSERT_EQ(alarms.alarms_size(), 1);
  EXPECT_EQ(alarms.alarms(0).alarm(), etcdserverpb::NOSPACE);
  EXPECT_EQ(alarms.alarms(0).memberid(), store_->member_id());

  // Disarming (what `etcdctl alarm disarm` sends) lets writes in again.
  etcdserverpb::AlarmRequest disarm;
  disarm.set_action(etcdserverpb::AlarmRequest::DEACTIVATE);
  disarm.set_memberid(store_->member_id());
  disarm.set_alarm(etcdserverpb::NOSPACE);
  etcdserverpb::AlarmResponse disarmed;
  ASSERT_TRUE(store_->AlarmSync(disarm, &disarmed).ok());
  ASSERT_EQ(disarmed.alarms_size(), 1);
  EXPECT_FALSE(store_->NoSpaceAlarm());
  Put("small", "ok");
  // A second disarm finds nothing to deactivate.
  etcdserverpb::AlarmResponse again;
  ASSERT_TRUE(store_->AlarmSync(disarm, &again).ok());
  EXPECT_EQ(again.alarms_size(), 0);
  Reopen();
  EXPECT_FALSE(store_->NoSpaceAlarm());
}

}  // namespace
}  // namespace minik8s::store
