#include "store/service/maintenance_service.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace minik8s::store {

MaintenanceService::MaintenanceService(KvStore* store, rpc::Server* server) : store_(store) {
  StatusCall::Register(server, "/etcdserverpb.Maintenance/Status",
                       [this](StatusCall* call) { ServeStatus(call); });
  AlarmCall::Register(server, "/etcdserverpb.Maintenance/Alarm", [this](AlarmCall* call) {
    store_->Alarm(
        &call->req, &call->resp, [call](absl::Status s) { call->Reply(s); },
        KvStore::ApplyOnCaller::kNever);
  });
  DefragmentCall::Register(
      server, "/etcdserverpb.Maintenance/Defragment", [this](DefragmentCall* call) {
        KvStore* store = store_;
        store_->Defragment([call, store](absl::Status s) {
          if (s.ok()) store->FillHeader(call->resp.mutable_header(), store->CurrentRevision());
          call->Reply(s);
        });
      });
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

ClusterService::ClusterService(KvStore* store, rpc::Server* server, std::string name,
                               std::vector<std::string> client_urls,
                               std::vector<std::string> peer_urls)
    : store_(store),
      name_(std::move(name)),
      client_urls_(std::move(client_urls)),
      peer_urls_(std::move(peer_urls)) {
  MemberListCall::Register(server, "/etcdserverpb.Cluster/MemberList",
                           [this](MemberListCall* call) {
                             etcdserverpb::MemberListResponse* resp = &call->resp;
                             store_->FillHeader(resp->mutable_header(), store_->CurrentRevision());
                             auto* m = resp->add_members();
                             m->set_id(store_->member_id());
                             m->set_name(name_);
                             for (const auto& u : client_urls_) m->add_clienturls(u);
                             for (const auto& u : peer_urls_) m->add_peerurls(u);
                             call->Reply(absl::OkStatus());
                           });
}

namespace {

// HealthCheckRequest.service (field 1) of a serialized request; false if the
// bytes are not a well-formed message.
bool HealthServiceName(std::string_view bytes, std::string* service) {
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
constexpr std::string_view kServing("\x08\x01", 2);
constexpr std::string_view kServiceUnknown("\x08\x03", 2);

}  // namespace

// One Watch, on its connection's worker: the status written once the
// request is read, then nothing until the call ends (the client cancelled,
// or the server is stopping), which finishes it.
class HealthService::WatchCall final : public rpc::StreamCallbacks {
 public:
  explicit WatchCall(rpc::CallRef ref) : ref_(ref) {}

 private:
  bool OnMessage(std::string_view message) override {
    if (got_request_) return true;  // one request; more are ignored
    got_request_ = true;
    std::string service;
    if (!HealthServiceName(message, &service)) {
      Finish(absl::InvalidArgumentError("could not parse request"));
      return true;
    }
    writing_ = true;
    ref_.Write(rpc::FrameBytes(service.empty() ? kServing : kServiceUnknown));
    return true;
  }

  void OnReadsDone() override {
    // A server-streaming client half-closes after its one request.
    if (!got_request_) Finish(absl::InternalError("grpc: no request message"));
  }

  void OnCancelled() override {
    ended_ = true;
    if (!writing_) Finish(absl::CancelledError("the call ended"));
  }

  void OnWritten(bool) override {
    writing_ = false;
    if (ended_) Finish(absl::CancelledError("the call ended"));
  }

  void OnFinished() override { delete this; }

  void Finish(const absl::Status& status) {
    if (finished_) return;
    finished_ = true;
    ref_.Finish(status);
  }

  const rpc::CallRef ref_;
  bool got_request_ = false;
  bool writing_ = false;
  bool ended_ = false;
  bool finished_ = false;
};

HealthService::HealthService(rpc::Server* server) {
  CheckCall::Register(server, "/grpc.health.v1.Health/Check", [](CheckCall* call) {
    std::string service;
    if (!HealthServiceName(call->req, &service)) {
      return call->Reply(absl::InvalidArgumentError("could not parse request"));
    }
    if (!service.empty()) return call->Reply(absl::NotFoundError("service name unknown"));
    call->resp.assign(kServing);
    call->Reply(absl::OkStatus());
  });
  rpc::Method watch;
  watch.streaming = [](rpc::CallRef ref, const rpc::CallInfo&) -> rpc::StreamCallbacks* {
    return new WatchCall(ref);
  };
  server->AddMethod("/grpc.health.v1.Health/Watch", std::move(watch));
}

}  // namespace minik8s::store
