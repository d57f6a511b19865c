// StoreServer: the gRPC server of minik8s-store — KV, Watch, Lease,
// Maintenance, Cluster.MemberList and grpc.health.v1.Health/Check, all on
// gRPC's asynchronous API from one completion queue (service/async_call.h)
// — configured as etcd's (message size limit, keepalive policy that
// tolerates etcdctl's pings). Thread-safe; the KvStore must outlive the
// server.
#ifndef MINIK8S_STORE_SERVER_H_
#define MINIK8S_STORE_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/kvstore.h"
#include "store/service/async_call.h"

namespace minik8s::store {

struct ServerOptions {
  std::string name = "default";
  std::vector<std::string> listen_addresses;  // gRPC addresses ("127.0.0.1:2379", "unix:///x")
  // One per listen address when set: the credentials it serves with (TLS for
  // an https:// or unixs:// URL); empty = plaintext everywhere.
  std::vector<std::shared_ptr<grpc::ServerCredentials>> credentials;
  std::vector<std::string> advertise_client_urls;
  std::vector<std::string> peer_urls;
  int64_t max_request_bytes = 1572864;
};

// The server settings every call is served under, as the store applies
// them: etcd's message size limits (`max_request_bytes` plus a margin),
// etcd's keepalive policy, and the per-call tuning of issue 16 (no BDP
// probe, no server-side deadline timer, no channelz). Shared with
// bench/store/rpc_floor_bench, whose bare gRPC server must cost what the
// store's gRPC layer costs.
void ApplyCallSettings(int64_t max_request_bytes, grpc::ServerBuilder* builder);

class StoreServer {
 public:
  // Binds every address; a busy or invalid address is an error.
  static absl::StatusOr<std::unique_ptr<StoreServer>> Start(KvStore* store,
                                                            const ServerOptions& options);
  ~StoreServer();
  // Stops accepting calls and waits (up to `deadline`) for in-flight ones.
  void Shutdown(absl::Duration deadline = absl::Seconds(5));

 private:
  StoreServer() : queue_(std::make_unique<AsyncQueue>()) {}
  // Threads polling the queue every service is served from: one reads every
  // connection with no hand-off between pollers; a second cost more CPU per
  // put than it saved (store/README.md "CPU per put at 1,000 connections").
  static constexpr int kPollingThreads = 1;
  std::unique_ptr<AsyncQueue> queue_;  // outlives the services and the server
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::vector<std::function<void()>> starts_;  // ask for each service's first calls
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVER_H_
