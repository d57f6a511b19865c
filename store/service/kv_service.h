// RPC edge of etcdserverpb.KV (call.h).
// Thin: every call goes to the KvStore, whose absl::Status is converted at
// the edge. Writes are answered from the store's apply or completion thread
// once durable, and never applied on the RPC worker, which serves every
// other call. Thread-safe.
//
// Txn takes the raw bytes and parses them itself: protobuf's parser stops
// at its default depth of 100 messages (about 50 nested txns). Here the nesting is measured first,
// without recursion, and a txn nested deeper than --max-txn-ops allows (or
// than kMaxTxnNesting) gets etcd's "too many operations in txn request".
#ifndef MINIK8S_STORE_SERVICE_KV_SERVICE_H_
#define MINIK8S_STORE_SERVICE_KV_SERVICE_H_

#include <string>
#include <string_view>

#include "etcd/etcdserverpb/rpc.pb.h"
#include "store/kvstore.h"
#include "store/service/call.h"

namespace minik8s::store {

// Txn nesting refused whatever --max-txn-ops says: the txn code recurses
// once per level. etcd's default (128 ops) allows at most 129 levels.
inline constexpr int kMaxTxnNesting = 256;

// The nesting depth of the serialized TxnRequest `bytes` (1: no nested txn),
// counted without recursion; stops counting once above `stop_above`. -1 if
// the bytes are not a well-formed message.
int TxnNestingDepth(std::string_view bytes, int stop_above);

// Parses a serialized TxnRequest, refusing nesting that etcd's op budget
// (`max_txn_ops`, see KvStore::CheckTxn) or kMaxTxnNesting cannot allow.
absl::Status ParseTxnRequest(std::string_view bytes, int64_t max_txn_ops,
                             etcdserverpb::TxnRequest* req);

class KvService final {
 public:
  // Serves KV's methods on `server`; `store` must outlive it.
  KvService(KvStore* store, rpc::Server* server);

 private:
  using RangeCall = UnaryCall<etcdserverpb::RangeRequest, etcdserverpb::RangeResponse>;
  using PutCall = UnaryCall<etcdserverpb::PutRequest, etcdserverpb::PutResponse>;
  using DeleteRangeCall =
      UnaryCall<etcdserverpb::DeleteRangeRequest, etcdserverpb::DeleteRangeResponse>;
  using TxnCall = UnaryCall<std::string, std::string>;
  using CompactCall = UnaryCall<etcdserverpb::CompactionRequest, etcdserverpb::CompactionResponse>;

  void ServeTxn(TxnCall* call);

  KvStore* store_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_KV_SERVICE_H_
