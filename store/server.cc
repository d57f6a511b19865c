#include "store/server.h"

#include "absl/strings/str_cat.h"
#include "common/unix_socket.h"

namespace minik8s::store {

int64_t MaxReceiveMessageBytes(int64_t max_request_bytes) { return max_request_bytes + 512 * 1024; }

absl::StatusOr<std::unique_ptr<StoreServer>> StoreServer::Start(KvStore* store,
                                                                const ServerOptions& options) {
  auto server = std::unique_ptr<StoreServer>(new StoreServer());
  rpc::ServerConfig config;
  config.max_receive_message_bytes = MaxReceiveMessageBytes(options.max_request_bytes);
  config.worker_threads = options.rpc_threads;
  server->server_ = std::make_unique<rpc::Server>(config);
  rpc::Server* rpc = server->server_.get();
  server->kv_ = std::make_unique<KvService>(store, rpc);
  server->watch_ = std::make_unique<WatchService>(store->watchable(), rpc);
  server->lease_ = std::make_unique<LeaseService>(store, rpc);
  server->maintenance_ = std::make_unique<MaintenanceService>(store, rpc);
  server->cluster_ = std::make_unique<ClusterService>(
      store, rpc, options.name, options.advertise_client_urls, options.peer_urls);
  server->health_ = std::make_unique<rpc::HealthService>(rpc);

  // A unix socket is private to the store's user (common/unix_socket.h):
  // whoever can connect to it could read the store's files anyway. A live
  // store's socket is refused, a dead one's replaced.
  for (size_t i = 0; i < options.listen_addresses.size(); ++i) {
    const std::string& address = options.listen_addresses[i];
    std::shared_ptr<SSL_CTX> tls = i < options.tls.size() ? options.tls[i] : nullptr;
    const std::string path = UnixSocketPath(address);
    absl::StatusOr<int> port;
    if (path.empty()) {
      port = rpc->Listen(address, std::move(tls));
    } else {
      if (absl::Status s = PrepareSocketPath(path); !s.ok()) return s;
      {
        ScopedSocketUmask private_socket;  // born 0600
        port = rpc->Listen("unix:" + path, std::move(tls));
      }
      if (port.ok()) {
        if (absl::Status s = RestrictSocket(path); !s.ok()) return s;
      }
    }
    if (!port.ok()) {
      return absl::UnavailableError(absl::StrCat(
          "cannot listen on ", address,
          " (address already in use or not available: ", port.status().message(), ")"));
    }
  }
  rpc->Start();
  server->running_ = true;
  return server;
}

StoreServer::~StoreServer() { Shutdown(absl::ZeroDuration()); }

void StoreServer::Shutdown(absl::Duration deadline) {
  if (!running_) return;
  running_ = false;
  server_->Shutdown(deadline);
}

}  // namespace minik8s::store
