#include "store/server.h"

#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/unix_socket.h"
#include "store/service/async_call.h"
#include "store/service/kv_service.h"
#include "store/service/lease_service.h"
#include "store/service/maintenance_service.h"
#include "store/service/watch_service.h"

namespace minik8s::store {

void ApplyCallSettings(int64_t max_request_bytes, grpc::ServerBuilder* builder) {
  // As etcd: the gRPC limit leaves a margin above --max-request-bytes so that
  // slightly larger requests reach our own check and get etcd's error text.
  builder->SetMaxReceiveMessageSize(static_cast<int>(max_request_bytes + 512 * 1024));
  builder->SetMaxSendMessageSize(std::numeric_limits<int>::max());
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 1 << 20);
  // gRPC sets SO_REUSEPORT by default, which would let a second store share
  // the port silently; a busy port must be an error.
  builder->AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // CPU per request (issue 16, store/README.md "CPU per put at 1,000
  // connections"): together these saved about 12 % of the CPU per put at
  // 1,000 connections with one request in flight each.
  // - No BDP probe: it sends flow-control PINGs per connection as data
  //   arrives, and its timers wake gRPC's timer threads to send them. The
  //   stream window it would have grown is set instead, large enough for the
  //   largest request, so that a big put is not held back by the default
  //   64 KiB window.
  // - No server-side deadline timer per call: the client's own deadline
  //   cancels the call (RST_STREAM) as it does with etcd's Go server.
  // - No channelz: its per-call and per-message counters are never read.
  builder->AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES,
                              static_cast<int>(max_request_bytes + 512 * 1024));
  builder->AddChannelArgument(GRPC_ARG_ENABLE_DEADLINE_CHECKS, 0);
  builder->AddChannelArgument(GRPC_ARG_ENABLE_CHANNELZ, 0);
}

absl::StatusOr<std::unique_ptr<StoreServer>> StoreServer::Start(KvStore* store,
                                                                const ServerOptions& options) {
  auto server = std::unique_ptr<StoreServer>(new StoreServer());
  // grpc.health.v1.Health is HealthService: gRPC's default one is a
  // callback-API service.
  grpc::EnableDefaultHealthCheckService(false);
  grpc::ServerBuilder builder;
  // A unix socket is private to the store's user (common/unix_socket.h):
  // whoever can connect to it could read the store's files anyway. gRPC
  // would unlink a live store's socket to bind its own; refuse that instead.
  std::vector<std::string> sockets;
  for (const std::string& address : options.listen_addresses) {
    if (std::string path = UnixSocketPath(address); !path.empty()) {
      if (absl::Status s = PrepareSocketPath(path); !s.ok()) return s;
      sockets.push_back(std::move(path));
    }
  }
  std::vector<int> ports(options.listen_addresses.size(), 0);
  for (size_t i = 0; i < options.listen_addresses.size(); ++i) {
    std::shared_ptr<grpc::ServerCredentials> credentials =
        i < options.credentials.size() && options.credentials[i] != nullptr
            ? options.credentials[i]
            : grpc::InsecureServerCredentials();
    builder.AddListeningPort(options.listen_addresses[i], credentials, &ports[i]);
  }
  ApplyCallSettings(options.max_request_bytes, &builder);

  // Every service is on the asynchronous API of one queue (async_call.h):
  // a single callback-API method would start gRPC's callback threads, which
  // poll the network beside ours.
  server->queue_->AddTo(&builder);
  AsyncQueue* queue = server->queue_.get();
  auto kv = std::make_unique<KvService>(store, queue);
  auto watch = std::make_unique<WatchService>(store->watchable(), queue);
  auto lease = std::make_unique<LeaseService>(store, queue);
  auto maintenance = std::make_unique<MaintenanceService>(store, queue);
  auto cluster = std::make_unique<ClusterService>(store, queue, options.name,
                                                  options.advertise_client_urls, options.peer_urls);
  auto health = std::make_unique<HealthService>(queue);
  server->starts_ = {[s = kv.get()] { s->Start(); },      [s = watch.get()] { s->Start(); },
                     [s = lease.get()] { s->Start(); },   [s = maintenance.get()] { s->Start(); },
                     [s = cluster.get()] { s->Start(); }, [s = health.get()] { s->Start(); }};
  server->services_.push_back(std::move(kv));
  server->services_.push_back(std::move(watch));
  server->services_.push_back(std::move(lease));
  server->services_.push_back(std::move(maintenance));
  server->services_.push_back(std::move(cluster));
  server->services_.push_back(std::move(health));
  for (auto& s : server->services_) builder.RegisterService(s.get());

  if (sockets.empty()) {
    server->server_ = builder.BuildAndStart();
  } else {
    ScopedSocketUmask private_sockets;  // each socket is born 0600
    server->server_ = builder.BuildAndStart();
  }
  if (server->server_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ",
                                               absl::StrJoin(options.listen_addresses, ", "),
                                               " (address already in use or not available)"));
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    const bool is_unix = options.listen_addresses[i].rfind("unix:", 0) == 0;
    if (ports[i] == 0 && !is_unix) {
      server->Shutdown(absl::ZeroDuration());
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen_addresses[i],
                                                 " (address already in use or not available)"));
    }
  }
  for (const std::string& path : sockets) {
    if (absl::Status s = RestrictSocket(path); !s.ok()) {
      server->Shutdown(absl::ZeroDuration());
      return s;
    }
  }
  for (const auto& start : server->starts_) start();
  server->queue_->Start(kPollingThreads);
  return server;
}

StoreServer::~StoreServer() { Shutdown(absl::ZeroDuration()); }

void StoreServer::Shutdown(absl::Duration deadline) {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(absl::ToInt64Milliseconds(deadline)));
  server_->Wait();
  // The queue is shut down after the server, once the calls still in the
  // store are answered; its threads poll until then.
  queue_->Shutdown();
  server_.reset();
}

}  // namespace minik8s::store
