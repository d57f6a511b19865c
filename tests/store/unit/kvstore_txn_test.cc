#include "store/errors.h"
#include "tests/store/unit/store_fixture.h"

namespace minik8s::store {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::TxnRequest;
using etcdserverpb::TxnResponse;

Compare Cmp(const std::string& key, Compare::CompareTarget t, Compare::CompareResult r, int64_t n,
            const std::string& value = "") {
  Compare c;
  c.set_key(key);
  c.set_target(t);
  c.set_result(r);
  switch (t) {
    case Compare::VERSION:
      c.set_version(n);
      break;
    case Compare::CREATE:
      c.set_create_revision(n);
      break;
    case Compare::MOD:
      c.set_mod_revision(n);
      break;
    case Compare::LEASE:
      c.set_lease(n);
      break;
    case Compare::VALUE:
      c.set_value(value);
      break;
    default:
      break;
  }
  return c;
}

void AddPut(google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>* ops, const std::string& k,
            const std::string& v) {
  auto* p = ops->Add()->mutable_request_put();
  p->set_key(k);
  p->set_value(v);
}

void AddGet(google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>* ops,
            const std::string& k) {
  ops->Add()->mutable_request_range()->set_key(k);
}

class TxnTest : public StoreTest {
 protected:
  bool Eval(const Compare& c) {
    TxnRequest req;
    *req.add_compare() = c;
    TxnResponse resp;
    absl::Status s = store_->TxnSync(req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp.succeeded();
  }
};

TEST_F(TxnTest, CompareTargetsAndResults) {
  Put("k", "b");   // 2
  Put("k", "b");   // 3: version 2, create 2, mod 3
  Put("z", "zz");  // 4
  EXPECT_TRUE(Eval(Cmp("k", Compare::VERSION, Compare::EQUAL, 2)));
  EXPECT_TRUE(Eval(Cmp("k", Compare::VERSION, Compare::GREATER, 1)));
  EXPECT_FALSE(Eval(Cmp("k", Compare::VERSION, Compare::LESS, 2)));
  EXPECT_TRUE(Eval(Cmp("k", Compare::VERSION, Compare::NOT_EQUAL, 3)));
  EXPECT_TRUE(Eval(Cmp("k", Compare::CREATE, Compare::EQUAL, 2)));
  EXPECT_TRUE(Eval(Cmp("k", Compare::MOD, Compare::EQUAL, 3)));
  EXPECT_FALSE(Eval(Cmp("k", Compare::MOD, Compare::GREATER, 3)));
  EXPECT_TRUE(Eval(Cmp("k", Compare::VALUE, Compare::EQUAL, 0, "b")));
  EXPECT_TRUE(Eval(Cmp("k", Compare::VALUE, Compare::LESS, 0, "c")));
  EXPECT_TRUE(Eval(Cmp("k", Compare::VALUE, Compare::GREATER, 0, "a")));
  EXPECT_TRUE(Eval(Cmp("k", Compare::LEASE, Compare::EQUAL, 0)));
  // A missing key compares as zeros; a value compare on it always fails.
  EXPECT_TRUE(Eval(Cmp("missing", Compare::MOD, Compare::EQUAL, 0)));
  EXPECT_TRUE(Eval(Cmp("missing", Compare::VERSION, Compare::EQUAL, 0)));
  EXPECT_FALSE(Eval(Cmp("missing", Compare::VALUE, Compare::NOT_EQUAL, 0, "x")));
  // Range compare: every key in [k, zz) must match.
  Compare range = Cmp("k", Compare::MOD, Compare::GREATER, 1);
  range.set_range_end("zz");
  EXPECT_TRUE(Eval(range));
  range.set_mod_revision(3);
  EXPECT_FALSE(Eval(range));                // k has mod 3
  EXPECT_EQ(store_->CurrentRevision(), 4);  // read-only txns do not bump
}

TEST_F(TxnTest, BranchesOneRevisionAndOpsSeeEarlierOps) {
  Put("k", "v");  // 2
  TxnRequest req;
  *req.add_compare() = Cmp("k", Compare::VALUE, Compare::EQUAL, 0, "v");
  AddPut(req.mutable_success(), "a", "1");
  AddGet(req.mutable_success(), "a");
  AddPut(req.mutable_success(), "b", "2");
  AddPut(req.mutable_failure(), "f", "x");
  TxnResponse resp;
  ASSERT_TRUE(store_->TxnSync(req, &resp).ok());
  EXPECT_TRUE(resp.succeeded());
  EXPECT_EQ(resp.header().revision(), 3);
  ASSERT_EQ(resp.responses_size(), 3);
  ASSERT_EQ(resp.responses(1).response_range().kvs_size(), 1);
  EXPECT_EQ(resp.responses(1).response_range().kvs(0).value(), "1");
  EXPECT_EQ(Get("a").kvs(0).mod_revision(), 3);
  EXPECT_EQ(Get("b").kvs(0).mod_revision(), 3);
  EXPECT_EQ(Get("f").kvs_size(), 0);

  TxnRequest fail;
  *fail.add_compare() = Cmp("k", Compare::VALUE, Compare::EQUAL, 0, "nope");
  AddPut(fail.mutable_failure(), "f", "x");
  resp.Clear();
  ASSERT_TRUE(store_->TxnSync(fail, &resp).ok());
  EXPECT_FALSE(resp.succeeded());
  EXPECT_EQ(Get("f").kvs(0).mod_revision(), 4);

  // A write txn that takes a read-only branch does not bump the revision.
  TxnRequest ro;
  *ro.add_compare() = Cmp("k", Compare::VALUE, Compare::EQUAL, 0, "nope");
  AddPut(ro.mutable_success(), "s", "x");
  AddGet(ro.mutable_failure(), "k");
  resp.Clear();
  ASSERT_TRUE(store_->TxnSync(ro, &resp).ok());
  EXPECT_EQ(resp.header().revision(), 4);
  EXPECT_EQ(store_->CurrentRevision(), 4);
}

TEST_F(TxnTest, NestedTxn) {
  TxnRequest inner;
  *inner.add_compare() = Cmp("a", Compare::VERSION, Compare::EQUAL, 1);
  AddPut(inner.mutable_success(), "b", "then");
  AddPut(inner.mutable_failure(), "b", "else");
  TxnRequest outer;
  AddPut(outer.mutable_success(), "a", "1");
  *outer.add_success()->mutable_request_txn() = inner;
  TxnResponse resp;
  ASSERT_TRUE(store_->TxnSync(outer, &resp).ok());
  ASSERT_EQ(resp.responses_size(), 2);
  EXPECT_TRUE(resp.responses(1).response_txn().succeeded());
  EXPECT_EQ(Get("b").kvs(0).value(), "then");
  EXPECT_EQ(Get("b").kvs(0).mod_revision(), 2);
  EXPECT_EQ(store_->CurrentRevision(), 2);
}

TEST_F(TxnTest, Limits) {
  TxnRequest req;
  for (int i = 0; i < 9; ++i) AddPut(req.mutable_success(), "k" + std::to_string(i), "v");
  TxnResponse resp;
  EXPECT_EQ(store_->TxnSync(req, &resp), ErrTooManyOps());

  TxnRequest dup;
  AddPut(dup.mutable_success(), "a", "1");
  AddPut(dup.mutable_success(), "a", "2");
  EXPECT_EQ(store_->TxnSync(dup, &resp), ErrDuplicateKey());

  TxnRequest overlap;
  auto* del = overlap.add_success()->mutable_request_delete_range();
  del->set_key("a");
  del->set_range_end("c");
  AddPut(overlap.mutable_success(), "b", "1");
  EXPECT_EQ(store_->TxnSync(overlap, &resp), ErrDuplicateKey());

  TxnRequest nested_dup;
  AddPut(nested_dup.mutable_success(), "x", "1");
  AddPut(nested_dup.mutable_success()->Add()->mutable_request_txn()->mutable_success(), "x", "2");
  EXPECT_EQ(store_->TxnSync(nested_dup, &resp), ErrDuplicateKey());

  // The same key in both branches of a nested txn is fine.
  TxnRequest both;
  auto* t = both.add_success()->mutable_request_txn();
  AddPut(t->mutable_success(), "y", "1");
  AddPut(t->mutable_failure(), "y", "2");
  EXPECT_TRUE(store_->TxnSync(both, &resp).ok());

  TxnRequest empty;
  AddGet(empty.mutable_success(), "");
  EXPECT_EQ(store_->TxnSync(empty, &resp), ErrEmptyKey());

  TxnRequest future;
  future.add_success()->mutable_request_range()->set_key("a");
  future.mutable_success(0)->mutable_request_range()->set_revision(100);
  AddPut(future.mutable_success(), "z", "1");
  EXPECT_EQ(store_->TxnSync(future, &resp), ErrFutureRev());
  EXPECT_EQ(Get("z").kvs_size(), 0);  // nothing applied
}

TEST_F(TxnTest, KubernetesStyleCompareAndSwap) {
  TxnRequest create;
  *create.add_compare() = Cmp("/registry/pods/ns/p", Compare::MOD, Compare::EQUAL, 0);
  AddPut(create.mutable_success(), "/registry/pods/ns/p", "v1");
  AddGet(create.mutable_failure(), "/registry/pods/ns/p");
  TxnResponse resp;
  ASSERT_TRUE(store_->TxnSync(create, &resp).ok());
  EXPECT_TRUE(resp.succeeded());
  resp.Clear();
  ASSERT_TRUE(store_->TxnSync(create, &resp).ok());
  EXPECT_FALSE(resp.succeeded());  // already exists
  EXPECT_EQ(resp.responses(0).response_range().kvs(0).value(), "v1");
}

}  // namespace
}  // namespace minik8s::store
