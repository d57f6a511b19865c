// gRPC edge of etcdserverpb.Watch, on the asynchronous API (async_call.h):
// one object per stream, no thread per stream. It forwards requests to a
// WatchStream and writes the responses the stream hands it, one at a time.
// Thread-safe; `store` and `queue` must outlive the service.
#ifndef MINIK8S_STORE_SERVICE_WATCH_SERVICE_H_
#define MINIK8S_STORE_SERVICE_WATCH_SERVICE_H_

#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "store/service/async_call.h"
#include "store/watchable_store.h"

namespace minik8s::store {

class WatchService final
    : public etcdserverpb::Watch::WithAsyncMethod_Watch<etcdserverpb::Watch::Service> {
 public:
  WatchService(WatchableStore* store, AsyncQueue* queue) : store_(store), queue_(queue) {}
  // Asks for the first stream; once the server is started.
  void Start();

 private:
  class Call;
  WatchableStore* store_;
  AsyncQueue* queue_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_WATCH_SERVICE_H_
