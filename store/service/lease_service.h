// gRPC edge of etcdserverpb.Lease, on the asynchronous API (async_call.h).
// Grant and revoke are answered from the apply thread once durable;
// keep-alive is one object per stream (no thread per stream). Thread-safe;
// `store` and `queue` must outlive the service.
#ifndef MINIK8S_STORE_SERVICE_LEASE_SERVICE_H_
#define MINIK8S_STORE_SERVICE_LEASE_SERVICE_H_

#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "store/kvstore.h"
#include "store/service/async_call.h"

namespace minik8s::store {

using LeaseServiceBase = etcdserverpb::Lease::WithAsyncMethod_LeaseGrant<
    etcdserverpb::Lease::WithAsyncMethod_LeaseRevoke<
        etcdserverpb::Lease::WithAsyncMethod_LeaseKeepAlive<
            etcdserverpb::Lease::WithAsyncMethod_LeaseTimeToLive<
                etcdserverpb::Lease::WithAsyncMethod_LeaseLeases<etcdserverpb::Lease::Service>>>>>;

class LeaseService final : public LeaseServiceBase {
 public:
  LeaseService(KvStore* store, AsyncQueue* queue);
  // Asks for the first calls; once the server is started.
  void Start();

 private:
  class KeepAliveCall;
  using GrantCall =
      AsyncUnaryCall<etcdserverpb::LeaseGrantRequest, etcdserverpb::LeaseGrantResponse>;
  using RevokeCall =
      AsyncUnaryCall<etcdserverpb::LeaseRevokeRequest, etcdserverpb::LeaseRevokeResponse>;
  using TimeToLiveCall =
      AsyncUnaryCall<etcdserverpb::LeaseTimeToLiveRequest, etcdserverpb::LeaseTimeToLiveResponse>;
  using LeasesCall =
      AsyncUnaryCall<etcdserverpb::LeaseLeasesRequest, etcdserverpb::LeaseLeasesResponse>;

  KvStore* store_;
  AsyncQueue* queue_;
  GrantCall::Method grant_;
  RevokeCall::Method revoke_;
  TimeToLiveCall::Method time_to_live_;
  LeasesCall::Method leases_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_LEASE_SERVICE_H_
