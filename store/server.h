// StoreServer: the gRPC server of minik8s-store — KV, Watch, Lease,
// Maintenance.Status, Cluster.MemberList and the standard health service —
// configured as etcd's (message size limit, keepalive policy that tolerates
// etcdctl's pings). Thread-safe; the KvStore must outlive the server.
#ifndef MINIK8S_STORE_SERVER_H_
#define MINIK8S_STORE_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/kvstore.h"

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

class StoreServer {
 public:
  // Binds every address; a busy or invalid address is an error.
  static absl::StatusOr<std::unique_ptr<StoreServer>> Start(KvStore* store,
                                                            const ServerOptions& options);
  ~StoreServer();
  // Stops accepting calls and waits (up to `deadline`) for in-flight ones.
  void Shutdown(absl::Duration deadline = absl::Seconds(5));

 private:
  StoreServer() = default;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_SERVER_H_
