#include "store/service/kv_service.h"

#include "common/grpc_status.h"
#include "store/errors.h"

namespace minik8s::store {

namespace {

KvStore::Done FinishWith(grpc::ServerUnaryReactor* reactor) {
  return [reactor](absl::Status s) { reactor->Finish(ToGrpcStatus(s)); };
}

}  // namespace

grpc::ServerUnaryReactor* KvService::Range(grpc::CallbackServerContext* ctx,
                                           const etcdserverpb::RangeRequest* req,
                                           etcdserverpb::RangeResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  absl::Status s = static_cast<int64_t>(req->ByteSizeLong()) > store_->options().max_request_bytes
                       ? ErrRequestTooLarge()
                       : store_->Range(*req, resp);
  reactor->Finish(ToGrpcStatus(s));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Put(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::PutRequest* req,
                                         etcdserverpb::PutResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  store_->Put(req, resp, FinishWith(reactor));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::DeleteRange(grpc::CallbackServerContext* ctx,
                                                 const etcdserverpb::DeleteRangeRequest* req,
                                                 etcdserverpb::DeleteRangeResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  store_->DeleteRange(req, resp, FinishWith(reactor));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Txn(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::TxnRequest* req,
                                         etcdserverpb::TxnResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  store_->Txn(req, resp, FinishWith(reactor));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Compact(grpc::CallbackServerContext* ctx,
                                             const etcdserverpb::CompactionRequest* req,
                                             etcdserverpb::CompactionResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  store_->Compact(req, resp, FinishWith(reactor));
  return reactor;
}

}  // namespace minik8s::store
