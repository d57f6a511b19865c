// RPC edge of etcdserverpb.Watch (call.h): one object per stream, no
// thread per stream. It forwards requests to a WatchStream and writes the
// responses the stream hands it, one at a time. Thread-safe.
#ifndef MINIK8S_STORE_SERVICE_WATCH_SERVICE_H_
#define MINIK8S_STORE_SERVICE_WATCH_SERVICE_H_

#include "common/rpc/h2_server.h"
#include "etcd/etcdserverpb/rpc.pb.h"
#include "store/watchable_store.h"

namespace minik8s::store {

class WatchService final {
 public:
  // Serves Watch on `server`; `store` must outlive it.
  WatchService(WatchableStore* store, rpc::Server* server);

 private:
  class Call;
  WatchableStore* store_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVICE_WATCH_SERVICE_H_
