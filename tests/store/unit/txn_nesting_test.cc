// Nested txns: etcd's op budget (checkTxnRequest: what a txn uses is taken
// from the budget of the txns nested in it) and the Txn edge's parser, which
// measures nesting before it parses (store/service/kv_service.h).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "store/errors.h"
#include "store/service/kv_service.h"
#include "tests/store/unit/store_fixture.h"

namespace minik8s::store {
namespace {

using etcdserverpb::TxnRequest;

// A chain of `depth` txns, each level's success holding the next one; the
// innermost puts `key`.
TxnRequest Chain(int depth, const std::string& key = "k") {
  TxnRequest top;
  TxnRequest* t = &top;
  for (int level = 1; level < depth; ++level) {
    t = t->add_success()->mutable_request_txn();
  }
  auto* put = t->add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value("v");
  return top;
}

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Chain(depth).SerializeAsString() built without recursion (protobuf's
// serializer would overflow the stack at this depth): a TxnRequest nests
// as success (field 2) → RequestOp → request_txn (field 4) → TxnRequest.
std::string DeepChainBytes(int depth) {
  std::string inner = Chain(1).SerializeAsString();
  std::vector<std::string> prefixes;  // innermost first
  size_t size = inner.size();
  for (int level = 1; level < depth; ++level) {
    for (char tag : {'\x22', '\x12'}) {  // request_txn, then success
      std::string p(1, tag);
      AppendVarint(size, &p);
      size += p.size();
      prefixes.push_back(std::move(p));
    }
  }
  std::string out;
  for (auto it = prefixes.rbegin(); it != prefixes.rend(); ++it) out += *it;
  return out + inner;
}

TEST(TxnNestingDepth, CountsLevelsWithoutParsing) {
  EXPECT_EQ(DeepChainBytes(7), Chain(7).SerializeAsString());
  EXPECT_EQ(TxnNestingDepth(TxnRequest().SerializeAsString(), 1000), 1);
  EXPECT_EQ(TxnNestingDepth(Chain(1).SerializeAsString(), 1000), 1);
  EXPECT_EQ(TxnNestingDepth(Chain(7).SerializeAsString(), 1000), 7);
  // Failure branches and siblings count too: the deepest path wins.
  TxnRequest t = Chain(3);
  *t.add_failure()->mutable_request_txn() = Chain(5);
  EXPECT_EQ(TxnNestingDepth(t.SerializeAsString(), 1000), 6);
  // Stops counting once past the bound.
  EXPECT_EQ(TxnNestingDepth(DeepChainBytes(1000000), 10), 11);
  // Not a message.
  EXPECT_EQ(TxnNestingDepth(std::string("\x12\x7f", 2), 1000), -1);
  EXPECT_EQ(TxnNestingDepth(std::string("\x0f", 1), 1000), -1);
}

TEST(ParseTxnRequest, TooDeepIsEtcdsTooManyOpsEvenFarBeyondProtobufsLimit) {
  TxnRequest req;
  EXPECT_EQ(ParseTxnRequest(Chain(200).SerializeAsString(), 128, &req), ErrTooManyOps());
  EXPECT_EQ(ParseTxnRequest(DeepChainBytes(1000000), 128, &req), ErrTooManyOps());
  // Whatever --max-txn-ops allows, kMaxTxnNesting bounds the recursion.
  EXPECT_EQ(ParseTxnRequest(Chain(kMaxTxnNesting + 1).SerializeAsString(), 1 << 20, &req),
            ErrTooManyOps());
}

TEST(ParseTxnRequest, NestingWithinTheBudgetParsesPastProtobufsDefaultDepth) {
  // 128 levels: 256 messages deep, past protobuf's default limit of 100.
  TxnRequest req;
  ASSERT_TRUE(ParseTxnRequest(Chain(128).SerializeAsString(), 128, &req).ok());
  EXPECT_TRUE(KvStore::CheckTxn(req, 128).ok());
  // 129 levels parse; the budget check (CheckTxn) then decides.
  ASSERT_TRUE(ParseTxnRequest(Chain(129).SerializeAsString(), 128, &req).ok());
  EXPECT_EQ(ParseTxnRequest(Chain(130).SerializeAsString(), 128, &req), ErrTooManyOps());
  EXPECT_EQ(ParseTxnRequest("\x12\x7f", 128, &req).code(), absl::StatusCode::kInternal);
}

TEST(CheckTxn, NestedTxnsShareTheOpBudget) {
  // Each level uses one op of the budget: a chain of 128 levels ending in a
  // put fits 128, 129 do not; an empty txn at the bottom uses none.
  EXPECT_TRUE(KvStore::CheckTxn(Chain(128), 128).ok());
  EXPECT_EQ(KvStore::CheckTxn(Chain(129), 128), ErrTooManyOps());
  TxnRequest empty_bottom;
  TxnRequest* t129 = &empty_bottom;
  for (int level = 1; level < 129; ++level) t129 = t129->add_success()->mutable_request_txn();
  EXPECT_TRUE(KvStore::CheckTxn(empty_bottom, 128).ok());
  // 100 ops at the top leave 28 for a txn nested in them.
  TxnRequest t;
  for (int i = 0; i < 99; ++i) t.add_success()->mutable_request_range()->set_key("r");
  TxnRequest* inner = t.add_success()->mutable_request_txn();
  for (int i = 0; i < 28; ++i) inner->add_success()->mutable_request_range()->set_key("r");
  EXPECT_TRUE(KvStore::CheckTxn(t, 128).ok());
  inner->add_success()->mutable_request_range()->set_key("r");
  EXPECT_EQ(KvStore::CheckTxn(t, 128), ErrTooManyOps());
}

TEST_F(StoreTest, DeeplyNestedTxnApplies) {
  // The fixture's --max-txn-ops is 8: 8 levels ending in a put.
  etcdserverpb::TxnResponse resp;
  absl::Status s = store_->TxnSync(Chain(8, "deep"), &resp);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Get("deep").kvs(0).value(), "v");
  EXPECT_EQ(store_->TxnSync(Chain(9, "deeper"), &resp), ErrTooManyOps());
}

}  // namespace
}  // namespace minik8s::store
