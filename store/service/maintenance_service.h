// gRPC edges of etcdserverpb.Maintenance (Status, Alarm, Defragment),
// etcdserverpb.Cluster (MemberList only) and grpc.health.v1.Health (Check
// only), on the asynchronous API (async_call.h): the store presents itself
// as a one-member cluster whose leader is itself. Thread-safe; `store` and
// `queue` must outlive the services.
#ifndef MINIK8S_STORE_SERVICE_MAINTENANCE_SERVICE_H_
#define MINIK8S_STORE_SERVICE_MAINTENANCE_SERVICE_H_

#include <string>
#include <vector>

#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "store/kvstore.h"
#include "store/service/async_call.h"

namespace minik8s::store {

// The version reported by Status (etcdctl prints it).
inline constexpr char kStoreVersion[] = "3.4.23-minik8s";

using MaintenanceServiceBase = etcdserverpb::Maintenance::WithAsyncMethod_Alarm<
    etcdserverpb::Maintenance::WithAsyncMethod_Status<
        etcdserverpb::Maintenance::WithAsyncMethod_Defragment<etcdserverpb::Maintenance::Service>>>;

class MaintenanceService final : public MaintenanceServiceBase {
 public:
  MaintenanceService(KvStore* store, AsyncQueue* queue);
  // Asks for the first calls; once the server is started.
  void Start();

 private:
  using StatusCall = AsyncUnaryCall<etcdserverpb::StatusRequest, etcdserverpb::StatusResponse>;
  using AlarmCall = AsyncUnaryCall<etcdserverpb::AlarmRequest, etcdserverpb::AlarmResponse>;
  using DefragmentCall =
      AsyncUnaryCall<etcdserverpb::DefragmentRequest, etcdserverpb::DefragmentResponse>;

  void ServeStatus(StatusCall* call);

  KvStore* store_;
  StatusCall::Method status_;
  AlarmCall::Method alarm_;
  // Answered once the store's files are rewritten (KvStore::Defragment).
  DefragmentCall::Method defragment_;
};

class ClusterService final
    : public etcdserverpb::Cluster::WithAsyncMethod_MemberList<etcdserverpb::Cluster::Service> {
 public:
  ClusterService(KvStore* store, AsyncQueue* queue, std::string name,
                 std::vector<std::string> client_urls, std::vector<std::string> peer_urls);
  // Asks for the first call; once the server is started.
  void Start();

 private:
  using MemberListCall =
      AsyncUnaryCall<etcdserverpb::MemberListRequest, etcdserverpb::MemberListResponse>;

  KvStore* store_;
  const std::string name_;
  const std::vector<std::string> client_urls_;
  const std::vector<std::string> peer_urls_;
  MemberListCall::Method member_list_;
};

// grpc.health.v1.Health as gRPC's default health service answers it. Check:
// SERVING for the empty service name, NOT_FOUND for any other. Watch: one
// message, SERVING for the empty name and SERVICE_UNKNOWN for any other,
// then the stream stays open (the status never changes) until the client
// cancels it or the server shuts down. (gRPC 1.51's default health service
// is a callback-API service, and the tree has no health proto, so the
// messages are encoded here.)
class HealthService final : public grpc::Service {
 public:
  explicit HealthService(AsyncQueue* queue);
  // Asks for the first calls; once the server is started.
  void Start();

 private:
  class WatchCall;
  using CheckCall = AsyncUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>;
  AsyncQueue* const queue_;
  CheckCall::Method check_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_MAINTENANCE_SERVICE_H_
