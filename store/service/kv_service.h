// gRPC edge of etcdserverpb.KV, on the asynchronous API (async_call.h).
// Thin: every call goes to the KvStore, whose absl::Status is converted at
// the edge. Writes are answered from the store's apply or completion thread
// once durable, and never applied on the polling thread, which serves every
// other call. Thread-safe; `store` and `queue` must outlive the service.
//
// Txn takes the raw bytes and parses them itself: gRPC's parser stops at
// protobuf's default depth of 100 messages (about 50 nested txns) and then
// answers UNIMPLEMENTED with no message. Here the nesting is measured first,
// without recursion, and a txn nested deeper than --max-txn-ops allows (or
// than kMaxTxnNesting) gets etcd's "too many operations in txn request".
#ifndef MINIK8S_STORE_SERVICE_KV_SERVICE_H_
#define MINIK8S_STORE_SERVICE_KV_SERVICE_H_

#include <string_view>

#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "store/kvstore.h"
#include "store/service/async_call.h"

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

using KvServiceBase = etcdserverpb::KV::WithAsyncMethod_Range<etcdserverpb::KV::WithAsyncMethod_Put<
    etcdserverpb::KV::WithAsyncMethod_DeleteRange<etcdserverpb::KV::WithRawMethod_Txn<
        etcdserverpb::KV::WithAsyncMethod_Compact<etcdserverpb::KV::Service>>>>>;

class KvService final : public KvServiceBase {
 public:
  KvService(KvStore* store, AsyncQueue* queue);
  // Asks for the first calls; once the server is started.
  void Start();

 private:
  using RangeCall = AsyncUnaryCall<etcdserverpb::RangeRequest, etcdserverpb::RangeResponse>;
  using PutCall = AsyncUnaryCall<etcdserverpb::PutRequest, etcdserverpb::PutResponse>;
  using DeleteRangeCall =
      AsyncUnaryCall<etcdserverpb::DeleteRangeRequest, etcdserverpb::DeleteRangeResponse>;
  using TxnCall = AsyncUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>;
  using CompactCall =
      AsyncUnaryCall<etcdserverpb::CompactionRequest, etcdserverpb::CompactionResponse>;

  void ServeTxn(TxnCall* call);

  KvStore* store_;
  RangeCall::Method range_;
  PutCall::Method put_;
  DeleteRangeCall::Method delete_range_;
  TxnCall::Method txn_;
  CompactCall::Method compact_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_KV_SERVICE_H_
