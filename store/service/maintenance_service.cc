#include "store/service/maintenance_service.h"

#include <atomic>
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

// HealthCheckResponse{status: SERVING (1)} and {status: SERVICE_UNKNOWN (3)}.
constexpr char kServing[] = {0x08, 0x01};
constexpr char kServiceUnknown[] = {0x08, 0x03};

grpc::ByteBuffer HealthResponse(const char* bytes, size_t size) {
  grpc::Slice slice(bytes, size);
  return grpc::ByteBuffer(&slice, 1);
}

constexpr int kHealthCheckMethod = 0;
constexpr int kHealthWatchMethod = 1;

}  // namespace

// One Watch. Two events end it: its message written (or the Finish of a
// malformed request), and the call done (the client cancelled, or the
// server shut down); the second deletes the object.
class HealthService::WatchCall {
 public:
  static void Ask(HealthService* service) {
    service->queue_->CallCreated();
    auto* call = new WatchCall(service);
    // Delivered once the call has started, when it ends.
    call->ctx_.AsyncNotifyWhenDone(&call->done_);
    grpc::ServerCompletionQueue* cq = service->queue_->cq();
    service->RequestAsyncServerStreaming(kHealthWatchMethod, &call->ctx_, &call->request_,
                                         &call->writer_, cq, cq, &call->started_);
  }

 private:
  explicit WatchCall(HealthService* service)
      : service_(service),
        writer_(&ctx_),
        started_(this, &WatchCall::OnStarted),
        written_(this, &WatchCall::OnEnded),
        done_(this, &WatchCall::OnEnded) {}

  void Destroy() {
    AsyncQueue* queue = service_->queue_;
    delete this;
    queue->CallDestroyed();
  }

  void OnStarted(bool ok) {
    if (!ok) return Destroy();  // no call came (server shut down): no done event
    Ask(service_);
    std::string service;
    if (!HealthServiceName(request_, &service)) {
      writer_.Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "could not parse request"),
                     &written_);
      return;
    }
    response_ = service.empty() ? HealthResponse(kServing, sizeof(kServing))
                                : HealthResponse(kServiceUnknown, sizeof(kServiceUnknown));
    writer_.Write(response_, &written_);
  }

  void OnEnded(bool) {
    if (ended_.fetch_add(1, std::memory_order_acq_rel) == 1) Destroy();
  }

  HealthService* const service_;
  grpc::ServerContext ctx_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  grpc::ServerAsyncWriter<grpc::ByteBuffer> writer_;
  MemberTag<WatchCall> started_;
  MemberTag<WatchCall> written_;
  MemberTag<WatchCall> done_;
  std::atomic<int> ended_{0};
};

HealthService::HealthService(AsyncQueue* queue) : queue_(queue) {
  AddMethod(new grpc::internal::RpcServiceMethod("/grpc.health.v1.Health/Check",
                                                 grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
  MarkMethodRaw(kHealthCheckMethod);
  AddMethod(new grpc::internal::RpcServiceMethod(
      "/grpc.health.v1.Health/Watch", grpc::internal::RpcMethod::SERVER_STREAMING, nullptr));
  MarkMethodRaw(kHealthWatchMethod);
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
              call->resp = HealthResponse(kServing, sizeof(kServing));
              call->Reply(absl::OkStatus());
            }};
}

void HealthService::Start() {
  CheckCall::Ask(&check_);
  WatchCall::Ask(this);
}

}  // namespace minik8s::store
