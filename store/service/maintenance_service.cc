#include "store/service/maintenance_service.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace minik8s::store {

grpc::ServerUnaryReactor* MaintenanceService::Status(grpc::CallbackServerContext* ctx,
                                                     const etcdserverpb::StatusRequest* req,
                                                     etcdserverpb::StatusResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  const int64_t rev = store_->CurrentRevision();
  store_->FillHeader(resp->mutable_header(), rev);
  resp->set_version(kStoreVersion);
  resp->set_dbsize(store_->DbSize());
  resp->set_dbsizeinuse(store_->DbSize());
  resp->set_leader(store_->member_id());
  // No raft log: the revision stands in for the applied index.
  resp->set_raftindex(static_cast<uint64_t>(rev));
  resp->set_raftappliedindex(static_cast<uint64_t>(rev));
  resp->set_raftterm(1);
  // As etcd: each raised alarm, in protobuf's compact text form.
  if (store_->NoSpaceAlarm()) {
    resp->add_errors(absl::StrCat("memberID:", store_->member_id(), " alarm:NOSPACE "));
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::Alarm(grpc::CallbackServerContext* ctx,
                                                    const etcdserverpb::AlarmRequest* req,
                                                    etcdserverpb::AlarmResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  store_->Alarm(req, resp, [reactor](absl::Status s) { reactor->Finish(ToGrpcStatus(s)); });
  return reactor;
}

grpc::ServerUnaryReactor* MaintenanceService::Defragment(grpc::CallbackServerContext* ctx,
                                                         const etcdserverpb::DefragmentRequest* req,
                                                         etcdserverpb::DefragmentResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  KvStore* store = store_;
  store_->Defragment([reactor, resp, store](absl::Status s) {
    if (s.ok()) store->FillHeader(resp->mutable_header(), store->CurrentRevision());
    reactor->Finish(ToGrpcStatus(s));
  });
  return reactor;
}

grpc::ServerUnaryReactor* ClusterService::MemberList(grpc::CallbackServerContext* ctx,
                                                     const etcdserverpb::MemberListRequest* req,
                                                     etcdserverpb::MemberListResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  store_->FillHeader(resp->mutable_header(), store_->CurrentRevision());
  auto* m = resp->add_members();
  m->set_id(store_->member_id());
  m->set_name(name_);
  for (const auto& u : client_urls_) m->add_clienturls(u);
  for (const auto& u : peer_urls_) m->add_peerurls(u);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace minik8s::store
