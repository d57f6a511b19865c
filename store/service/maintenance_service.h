// RPC edges of etcdserverpb.Maintenance (Status, Alarm, Defragment),
// etcdserverpb.Cluster (MemberList only) (call.h): the store presents itself
// as a one-member cluster whose leader is itself.
// Thread-safe; `store` must outlive the services.
#ifndef MINIK8S_STORE_SERVICE_MAINTENANCE_SERVICE_H_
#define MINIK8S_STORE_SERVICE_MAINTENANCE_SERVICE_H_

#include <string>
#include <vector>

#include "etcd/etcdserverpb/rpc.pb.h"
#include "store/kvstore.h"
#include "store/service/call.h"

namespace minik8s::store {

// The version reported by Status (etcdctl prints it).
inline constexpr char kStoreVersion[] = "3.4.23-minik8s";

class MaintenanceService final {
 public:
  MaintenanceService(KvStore* store, rpc::Server* server);

 private:
  using StatusCall = UnaryCall<etcdserverpb::StatusRequest, etcdserverpb::StatusResponse>;
  using AlarmCall = UnaryCall<etcdserverpb::AlarmRequest, etcdserverpb::AlarmResponse>;
  // Answered once the store's files are rewritten (KvStore::Defragment).
  using DefragmentCall =
      UnaryCall<etcdserverpb::DefragmentRequest, etcdserverpb::DefragmentResponse>;

  void ServeStatus(StatusCall* call);

  KvStore* store_;
};

class ClusterService final {
 public:
  ClusterService(KvStore* store, rpc::Server* server, std::string name,
                 std::vector<std::string> client_urls, std::vector<std::string> peer_urls);

 private:
  using MemberListCall =
      UnaryCall<etcdserverpb::MemberListRequest, etcdserverpb::MemberListResponse>;

  KvStore* store_;
  const std::string name_;
  const std::vector<std::string> client_urls_;
  const std::vector<std::string> peer_urls_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_MAINTENANCE_SERVICE_H_
