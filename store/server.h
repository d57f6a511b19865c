// StoreServer: the RPC server of minik8s-store — KV, Watch, Lease,
// Maintenance, Cluster.MemberList and grpc.health.v1.Health — on the
// store's own gRPC server (rpc/h2_server.h), configured as etcd's server
// is (message size limit). Thread-safe; the KvStore must outlive the
// server.
#ifndef MINIK8S_STORE_SERVER_H_
#define MINIK8S_STORE_SERVER_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/rpc/h2_server.h"
#include "common/rpc/health_service.h"
#include "store/kvstore.h"
#include "store/service/kv_service.h"
#include "store/service/lease_service.h"
#include "store/service/maintenance_service.h"
#include "store/service/watch_service.h"

namespace minik8s::store {

// One worker thread reads every connection: on 2 cores a second one cost
// more CPU per put than it saved, while serving reads and watches faster
// (store/README.md, "The RPC layer").
inline constexpr int kDefaultRpcThreads = 1;

struct ServerOptions {
  std::string name = "default";
  std::vector<std::string> listen_addresses;  // "127.0.0.1:2379", "unix:///x"
  // One per listen address when set: the TLS context it serves with (for an
  // https:// or unixs:// URL); empty or null = plaintext.
  std::vector<std::shared_ptr<SSL_CTX>> tls;
  std::vector<std::string> advertise_client_urls;
  std::vector<std::string> peer_urls;
  int64_t max_request_bytes = 1572864;
  // Worker threads of the RPC server (--rpc-threads).
  int rpc_threads = kDefaultRpcThreads;
};

// The largest request message the server reads: as etcd's, a margin above
// `max_request_bytes`, so that slightly larger requests reach the store's
// own check and get etcd's error text.
int64_t MaxReceiveMessageBytes(int64_t max_request_bytes);

class StoreServer {
 public:
  // Binds every address; a busy or invalid address is an error.
  static absl::StatusOr<std::unique_ptr<StoreServer>> Start(KvStore* store,
                                                            const ServerOptions& options);
  ~StoreServer();
  // Stops accepting calls; calls still open after `deadline` are cancelled.
  // Returns once every call is answered.
  void Shutdown(absl::Duration deadline = absl::Seconds(5));

 private:
  StoreServer() = default;
  std::unique_ptr<rpc::Server> server_;
  std::unique_ptr<KvService> kv_;
  std::unique_ptr<WatchService> watch_;
  std::unique_ptr<LeaseService> lease_;
  std::unique_ptr<MaintenanceService> maintenance_;
  std::unique_ptr<ClusterService> cluster_;
  std::unique_ptr<rpc::HealthService> health_;  // always SERVING
  bool running_ = false;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVER_H_
