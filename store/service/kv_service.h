// gRPC edge of etcdserverpb.KV (callback API). Thin: every call goes to the
// KvStore, whose absl::Status is converted at the edge. Writes complete their
// reactor from the store's apply thread once durable, so no gRPC thread waits
// on a sync. Thread-safe; `store` must outlive the service.
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

using KvServiceBase = etcdserverpb::KV::WithCallbackMethod_Range<
    etcdserverpb::KV::WithCallbackMethod_Put<etcdserverpb::KV::WithCallbackMethod_DeleteRange<
        etcdserverpb::KV::WithRawCallbackMethod_Txn<
            etcdserverpb::KV::WithCallbackMethod_Compact<etcdserverpb::KV::Service>>>>>;

class KvService final : public KvServiceBase {
 public:
  explicit KvService(KvStore* store) : store_(store) {}

  grpc::ServerUnaryReactor* Range(grpc::CallbackServerContext* ctx,
                                  const etcdserverpb::RangeRequest* req,
                                  etcdserverpb::RangeResponse* resp) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx,
                                const etcdserverpb::PutRequest* req,
                                etcdserverpb::PutResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteRange(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::DeleteRangeRequest* req,
                                        etcdserverpb::DeleteRangeResponse* resp) override;
  grpc::ServerUnaryReactor* Txn(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* ctx,
                                    const etcdserverpb::CompactionRequest* req,
                                    etcdserverpb::CompactionResponse* resp) override;

 private:
  KvStore* store_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_KV_SERVICE_H_
