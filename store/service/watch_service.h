// gRPC edge of etcdserverpb.Watch: one bidirectional-stream reactor per call,
// no thread per stream. The reactor forwards requests to a WatchStream and
// writes the responses the stream hands it, one at a time. Thread-safe;
// `store` must outlive the service.
#ifndef MINIK8S_STORE_SERVICE_WATCH_SERVICE_H_
#define MINIK8S_STORE_SERVICE_WATCH_SERVICE_H_

#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "store/watchable_store.h"

namespace minik8s::store {

class WatchService final : public etcdserverpb::Watch::CallbackService {
 public:
  explicit WatchService(WatchableStore* store) : store_(store) {}

  grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* Watch(
      grpc::CallbackServerContext* ctx) override;

 private:
  WatchableStore* store_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_WATCH_SERVICE_H_
