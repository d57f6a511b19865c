#include "store/service/maintenance_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

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

}  // namespace minik8s::store
