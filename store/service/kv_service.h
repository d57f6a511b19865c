// gRPC edge of etcdserverpb.KV (callback API). Thin: every call goes to the
// KvStore, whose absl::Status is converted at the edge. Writes complete their
// reactor from the store's apply thread once durable, so no gRPC thread waits
// on a sync. Thread-safe; `store` must outlive the service.
#ifndef MINIK8S_STORE_SERVICE_KV_SERVICE_H_
#define MINIK8S_STORE_SERVICE_KV_SERVICE_H_

#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "store/kvstore.h"

namespace minik8s::store {

class KvService final : public etcdserverpb::KV::CallbackService {
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
  grpc::ServerUnaryReactor* Txn(grpc::CallbackServerContext* ctx,
                                const etcdserverpb::TxnRequest* req,
                                etcdserverpb::TxnResponse* resp) override;
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* ctx,
                                    const etcdserverpb::CompactionRequest* req,
                                    etcdserverpb::CompactionResponse* resp) override;

 private:
  KvStore* store_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_KV_SERVICE_H_
