// gRPC edges of etcdserverpb.Maintenance (Status, Alarm, Defragment) and
// etcdserverpb.Cluster (MemberList only): the store presents itself as a
// one-member cluster whose leader is itself. Thread-safe; `store` must
// outlive the services.
#ifndef MINIK8S_STORE_SERVICE_MAINTENANCE_SERVICE_H_
#define MINIK8S_STORE_SERVICE_MAINTENANCE_SERVICE_H_

#include <string>
#include <vector>

#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "store/kvstore.h"

namespace minik8s::store {

// The version reported by Status (etcdctl prints it).
inline constexpr char kStoreVersion[] = "3.4.23-minik8s";

class MaintenanceService final : public etcdserverpb::Maintenance::CallbackService {
 public:
  explicit MaintenanceService(KvStore* store) : store_(store) {}
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx,
                                   const etcdserverpb::StatusRequest* req,
                                   etcdserverpb::StatusResponse* resp) override;
  grpc::ServerUnaryReactor* Alarm(grpc::CallbackServerContext* ctx,
                                  const etcdserverpb::AlarmRequest* req,
                                  etcdserverpb::AlarmResponse* resp) override;
  // Answered once the store's files are rewritten (KvStore::Defragment).
  grpc::ServerUnaryReactor* Defragment(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::DefragmentRequest* req,
                                       etcdserverpb::DefragmentResponse* resp) override;

 private:
  KvStore* store_;
};

class ClusterService final : public etcdserverpb::Cluster::CallbackService {
 public:
  ClusterService(KvStore* store, std::string name, std::vector<std::string> client_urls,
                 std::vector<std::string> peer_urls)
      : store_(store),
        name_(std::move(name)),
        client_urls_(std::move(client_urls)),
        peer_urls_(std::move(peer_urls)) {}
  grpc::ServerUnaryReactor* MemberList(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::MemberListRequest* req,
                                       etcdserverpb::MemberListResponse* resp) override;

 private:
  KvStore* store_;
  const std::string name_;
  const std::vector<std::string> client_urls_;
  const std::vector<std::string> peer_urls_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_MAINTENANCE_SERVICE_H_
