#include "store/service/maintenance_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace minik8s::store {

MaintenanceService::MaintenanceService(KvStore* store, AsyncQueue* queue) : store_(store) {
  status_ = {queue,
             [this](grpc::ServerContext* ctx, etcdserverpb::StatusRequest* req,
                    StatusCall::Writer* w, grpc::ServerCompletionQueue* cq,
                    void* tag) { RequestStatus(ctx, req, w, cq, cq, tag); },
             [this](StatusCall* call) { ServeStatus(call); }};
  alarm_ = {queue,
            [this](grpc::ServerContext* ctx, etcdserverpb::AlarmRequest* req, AlarmCall::Writer* w,
                   grpc::ServerCompletionQueue* cq,
                   void* tag) { RequestAlarm(ctx, req, w, cq, cq, tag); },
            [this](AlarmCall* call) {
              store_->Alarm(
                  &call->req, &call->resp, [call](absl::Status s) { call->Reply(s); },
                  KvStore::ApplyOnCaller::kNever);
            }};
  defragment_ = {queue,
                 [this](grpc::ServerContext* ctx, etcdserverpb::DefragmentRequest* req,
                        DefragmentCall::Writer* w, grpc::ServerCompletionQueue* cq,
                        void* tag) { RequestDefragment(ctx, req, w, cq, cq, tag); },
                 [this](DefragmentCall* call) {
                   KvStore* store = store_;
                   store_->Defragment([call, store](absl::Status s) {
                     if (s.ok()) {
                       store->FillHeader(call->resp.mutable_header(), store->CurrentRevision());
                     }
                     call->Reply(s);
                   });
                 }};
}

void MaintenanceService::Start() {
  StatusCall::Ask(&status_);
  AlarmCall::Ask(&alarm_);
  DefragmentCall::Ask(&defragment_);
}

void MaintenanceService::ServeStatus(StatusCall* call) {
  etcdserverpb::StatusResponse* resp = &call->resp;
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
  call->Reply(absl::OkStatus());
}

ClusterService::ClusterService(KvStore* store, AsyncQueue* queue, std::string name,
                               std::vector<std::string> client_urls,
                               std::vector<std::string> peer_urls)
    : store_(store),
      name_(std::move(name)),
      client_urls_(std::move(client_urls)),
      peer_urls_(std::move(peer_urls)) {
  member_list_ = {queue,
                  [this](grpc::ServerContext* ctx, etcdserverpb::MemberListRequest* req,
                         MemberListCall::Writer* w, grpc::ServerCompletionQueue* cq,
                         void* tag) { RequestMemberList(ctx, req, w, cq, cq, tag); },
                  [this](MemberListCall* call) {
                    etcdserverpb::MemberListResponse* resp = &call->resp;
                    store_->FillHeader(resp->mutable_header(), store_->CurrentRevision());
                    auto* m = resp->add_members();
                    m->set_id(store_->member_id());
                    m->set_name(name_);
                    for (const auto& u : client_urls_) m->add_clienturls(u);
                    for (const auto& u : peer_urls_) m->add_peerurls(u);
                    call->Reply(absl::OkStatus());
                  }};
}

void ClusterService::Start() { MemberListCall::Ask(&member_list_); }

namespace {

// HealthCheckRequest.service (field 1) of a serialized request; false if the
// bytes are not a well-formed message.
bool HealthServiceName(const grpc::ByteBuffer& buffer, std::string* service) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  service->clear();
  while (uint32_t tag = in.ReadTag()) {
    if (tag == 10) {  // field 1, length-delimited
      if (!google::protobuf::internal::WireFormatLite::ReadString(&in, service)) return false;
    } else if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

}  // namespace

HealthService::HealthService(AsyncQueue* queue) {
  AddMethod(new grpc::internal::RpcServiceMethod("/grpc.health.v1.Health/Check",
                                                 grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
  MarkMethodRaw(0);
  check_ = {queue,
            [this](grpc::ServerContext* ctx, grpc::ByteBuffer* req, CheckCall::Writer* w,
                   grpc::ServerCompletionQueue* cq,
                   void* tag) { RequestAsyncUnary(0, ctx, req, w, cq, cq, tag); },
            [](CheckCall* call) {
              std::string service;
              if (!HealthServiceName(call->req, &service)) {
                return call->Reply(absl::InvalidArgumentError("could not parse request"));
              }
              if (!service.empty()) return call->Reply(absl::NotFoundError("service name unknown"));
              // HealthCheckResponse{status: SERVING (1)}.
              static constexpr char kServing[] = {0x08, 0x01};
              grpc::Slice slice(kServing, sizeof(kServing));
              call->resp = grpc::ByteBuffer(&slice, 1);
              call->Reply(absl::OkStatus());
            }};
}

void HealthService::Start() { CheckCall::Ask(&check_); }

}  // namespace minik8s::store
