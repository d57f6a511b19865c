#include "store/errors.h"
#include "tests/store/unit/store_fixture.h"

namespace minik8s::store {
namespace {

class LeaseTest : public StoreTest {
 protected:
  int64_t Grant(int64_t ttl, int64_t id = 0) {
    etcdserverpb::LeaseGrantRequest req;
    req.set_ttl(ttl);
    req.set_id(id);
    etcdserverpb::LeaseGrantResponse resp;
    absl::Status s = store_->LeaseGrantSync(req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    last_ttl_ = resp.ttl();
    return resp.id();
  }
  etcdserverpb::LeaseTimeToLiveResponse TTL(int64_t id) {
    etcdserverpb::LeaseTimeToLiveRequest req;
    req.set_id(id);
    req.set_keys(true);
    etcdserverpb::LeaseTimeToLiveResponse resp;
    store_->LeaseTimeToLive(req, &resp);
    return resp;
  }
  int64_t last_ttl_ = 0;
};

TEST_F(LeaseTest, GrantIdsTtlAndErrors) {
  const int64_t id = Grant(10);
  EXPECT_GT(id, 0);
  EXPECT_EQ(last_ttl_, 10);
  EXPECT_EQ(Grant(1, 42), 42);
  EXPECT_EQ(last_ttl_, kMinLeaseTTL);  // raised to the minimum
  etcdserverpb::LeaseGrantRequest dup;
  dup.set_id(42);
  dup.set_ttl(5);
  etcdserverpb::LeaseGrantResponse resp;
  EXPECT_EQ(store_->LeaseGrantSync(dup, &resp), ErrLeaseExists());
  dup.set_id(0);
  dup.set_ttl(kMaxLeaseTTL + 1);
  EXPECT_EQ(store_->LeaseGrantSync(dup, &resp), ErrLeaseTTLTooLarge());

  etcdserverpb::LeaseLeasesResponse leases;
  store_->LeaseLeases(&leases);
  EXPECT_EQ(leases.leases_size(), 2);
  EXPECT_EQ(TTL(999).ttl(), -1);

  etcdserverpb::LeaseKeepAliveRequest ka;
  ka.set_id(999);
  etcdserverpb::LeaseKeepAliveResponse kar;
  store_->LeaseKeepAlive(ka, &kar);
  EXPECT_EQ(kar.ttl(), 0);  // unknown lease: TTL 0, no error

  etcdserverpb::LeaseRevokeRequest rv;
  rv.set_id(999);
  etcdserverpb::LeaseRevokeResponse rvr;
  EXPECT_EQ(store_->LeaseRevokeSync(rv, &rvr), ErrLeaseNotFound());
}

TEST_F(LeaseTest, KeepAliveAndExpiryDeletesKeysInOneRevision) {
  const int64_t id = Grant(10);
  Put("a", "1", id);
  Put("b", "2", id);
  Put("c", "3");
  auto ttl = TTL(id);
  EXPECT_EQ(ttl.grantedttl(), 10);
  EXPECT_EQ(ttl.keys_size(), 2);
  clock_.Advance(absl::Seconds(8));
  EXPECT_EQ(TTL(id).ttl(), 2);
  etcdserverpb::LeaseKeepAliveRequest ka;
  ka.set_id(id);
  etcdserverpb::LeaseKeepAliveResponse kar;
  store_->LeaseKeepAlive(ka, &kar);
  EXPECT_EQ(kar.ttl(), 10);
  clock_.Advance(absl::Seconds(8));
  store_->RevokeExpiredLeases();
  EXPECT_EQ(Get("a").kvs_size(), 1);  // renewed, not expired yet
  clock_.Advance(absl::Seconds(3));
  const int64_t before = store_->CurrentRevision();
  store_->RevokeExpiredLeases();
  EXPECT_EQ(store_->CurrentRevision(), before + 1);  // both keys in one revision
  EXPECT_EQ(Get("a").kvs_size(), 0);
  EXPECT_EQ(Get("b").kvs_size(), 0);
  EXPECT_EQ(Get("c").kvs_size(), 1);
  EXPECT_EQ(TTL(id).ttl(), -1);
}

TEST_F(LeaseTest, RevokeAndReattach) {
  const int64_t l1 = Grant(100);
  const int64_t l2 = Grant(100);
  Put("k", "v", l1);
  Put("k", "v2", l2);  // moves to l2
  EXPECT_EQ(TTL(l1).keys_size(), 0);
  etcdserverpb::PutRequest keep;
  keep.set_key("k");
  keep.set_value("v3");
  keep.set_ignore_lease(true);
  etcdserverpb::PutResponse pr;
  ASSERT_TRUE(store_->PutSync(keep, &pr).ok());
  EXPECT_EQ(Get("k").kvs(0).lease(), l2);
  etcdserverpb::LeaseRevokeRequest rv;
  rv.set_id(l2);
  etcdserverpb::LeaseRevokeResponse rvr;
  ASSERT_TRUE(store_->LeaseRevokeSync(rv, &rvr).ok());
  EXPECT_EQ(Get("k").kvs_size(), 0);
}

TEST_F(LeaseTest, LeasesSurviveRestartWithTtlRestarted) {
  const int64_t id = Grant(30);
  Put("k", "v", id);
  clock_.Advance(absl::Seconds(25));
  Reopen();
  auto ttl = TTL(id);
  EXPECT_EQ(ttl.grantedttl(), 30);
  EXPECT_EQ(ttl.ttl(), 30);  // restarted
  ASSERT_EQ(ttl.keys_size(), 1);
  clock_.Advance(absl::Seconds(31));
  store_->RevokeExpiredLeases();
  EXPECT_EQ(Get("k").kvs_size(), 0);
  Reopen();
  EXPECT_EQ(TTL(id).ttl(), -1);  // the revocation was durable
}

TEST_F(LeaseTest, PutWithoutALeaseDetachesTheOldOneAlsoAfterRestart) {
  // No watcher asks for prev_kv here, so a put learns the key's old lease
  // from the lessor, not from the key's previous value.
  const int64_t l1 = Grant(30);
  const int64_t l2 = Grant(30);
  Put("a", "v", l1);
  Put("b", "v", l2);
  Put("a", "v2");  // no lease any more
  EXPECT_EQ(TTL(l1).keys_size(), 0);
  Reopen();  // the lessor's key → lease map is rebuilt from history
  Put("b", "v2", l1);
  EXPECT_EQ(TTL(l2).keys_size(), 0);
  ASSERT_EQ(TTL(l1).keys_size(), 1);
  EXPECT_EQ(TTL(l1).keys(0), "b");
  clock_.Advance(absl::Seconds(31));
  store_->RevokeExpiredLeases();
  EXPECT_EQ(Get("a").kvs_size(), 1);  // detached: outlives l1
  EXPECT_EQ(Get("b").kvs_size(), 0);
}

TEST_F(LeaseTest, DeleteWithoutPrevKvDetachesTheKeysLease) {
  // Nothing asks for the deleted keys' previous values, so the delete learns
  // their leases from the lessor instead of reading them.
  const int64_t l1 = Grant(30);
  Put("d/a", "v", l1);
  Put("d/b", "v", l1);
  Put("keep", "v", l1);
  EXPECT_EQ(Delete("d/", "d0"), 2);
  ASSERT_EQ(TTL(l1).keys_size(), 1);
  EXPECT_EQ(TTL(l1).keys(0), "keep");
  Put("d/a", "again");  // no lease now: l1's expiry must not delete it
  clock_.Advance(absl::Seconds(31));
  store_->RevokeExpiredLeases();
  EXPECT_EQ(Get("d/a").kvs_size(), 1);
  EXPECT_EQ(Get("keep").kvs_size(), 0);
}

}  // namespace
}  // namespace minik8s::store
