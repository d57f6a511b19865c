// RPC edge of etcdserverpb.Lease (call.h). Grant and revoke are answered
// from the apply thread once durable; keep-alive is one object per stream
// (no thread per stream). Thread-safe.
#ifndef MINIK8S_STORE_SERVICE_LEASE_SERVICE_H_
#define MINIK8S_STORE_SERVICE_LEASE_SERVICE_H_

#include "etcd/etcdserverpb/rpc.pb.h"
#include "store/kvstore.h"
#include "store/service/call.h"

namespace minik8s::store {

class LeaseService final {
 public:
  // Serves Lease's methods on `server`; `store` must outlive it.
  LeaseService(KvStore* store, rpc::Server* server);

 private:
  class KeepAliveCall;
  using GrantCall = UnaryCall<etcdserverpb::LeaseGrantRequest, etcdserverpb::LeaseGrantResponse>;
  using RevokeCall = UnaryCall<etcdserverpb::LeaseRevokeRequest, etcdserverpb::LeaseRevokeResponse>;
  using TimeToLiveCall =
      UnaryCall<etcdserverpb::LeaseTimeToLiveRequest, etcdserverpb::LeaseTimeToLiveResponse>;
  using LeasesCall = UnaryCall<etcdserverpb::LeaseLeasesRequest, etcdserverpb::LeaseLeasesResponse>;

  KvStore* store_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_LEASE_SERVICE_H_
