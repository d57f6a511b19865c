// gRPC edge of etcdserverpb.Lease. Grant and revoke complete from the apply
// thread once durable; keep-alive is a bidirectional-stream reactor (no
// thread per stream). Thread-safe; `store` must outlive the service.
#ifndef MINIK8S_STORE_SERVICE_LEASE_SERVICE_H_
#define MINIK8S_STORE_SERVICE_LEASE_SERVICE_H_

#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "store/kvstore.h"

namespace minik8s::store {

class LeaseService final : public etcdserverpb::Lease::CallbackService {
 public:
  explicit LeaseService(KvStore* store) : store_(store) {}

  grpc::ServerUnaryReactor* LeaseGrant(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::LeaseGrantRequest* req,
                                       etcdserverpb::LeaseGrantResponse* resp) override;
  grpc::ServerUnaryReactor* LeaseRevoke(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::LeaseRevokeRequest* req,
                                        etcdserverpb::LeaseRevokeResponse* resp) override;
  grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                          etcdserverpb::LeaseKeepAliveResponse>*
  LeaseKeepAlive(grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* LeaseTimeToLive(grpc::CallbackServerContext* ctx,
                                            const etcdserverpb::LeaseTimeToLiveRequest* req,
                                            etcdserverpb::LeaseTimeToLiveResponse* resp) override;
  grpc::ServerUnaryReactor* LeaseLeases(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::LeaseLeasesRequest* req,
                                        etcdserverpb::LeaseLeasesResponse* resp) override;

 private:
  KvStore* store_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_LEASE_SERVICE_H_
