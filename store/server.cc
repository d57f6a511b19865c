#include "store/server.h"

#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "store/service/kv_service.h"
#include "store/service/lease_service.h"
#include "store/service/maintenance_service.h"
#include "store/service/watch_service.h"

namespace minik8s::store {

absl::StatusOr<std::unique_ptr<StoreServer>> StoreServer::Start(KvStore* store,
                                                                const ServerOptions& options) {
  auto server = std::unique_ptr<StoreServer>(new StoreServer());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  std::vector<int> ports(options.listen_addresses.size(), 0);
  for (size_t i = 0; i < options.listen_addresses.size(); ++i) {
    std::shared_ptr<grpc::ServerCredentials> credentials =
        i < options.credentials.size() && options.credentials[i] != nullptr
            ? options.credentials[i]
            : grpc::InsecureServerCredentials();
    builder.AddListeningPort(options.listen_addresses[i], credentials, &ports[i]);
  }
  // As etcd: the gRPC limit leaves a margin above --max-request-bytes so that
  // slightly larger requests reach our own check and get etcd's error text.
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_request_bytes + 512 * 1024));
  builder.SetMaxSendMessageSize(std::numeric_limits<int>::max());
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 1 << 20);
  // gRPC sets SO_REUSEPORT by default, which would let a second store share
  // the port silently; a busy port must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
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
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES,
                             static_cast<int>(options.max_request_bytes + 512 * 1024));
  builder.AddChannelArgument(GRPC_ARG_ENABLE_DEADLINE_CHECKS, 0);
  builder.AddChannelArgument(GRPC_ARG_ENABLE_CHANNELZ, 0);

  server->services_.push_back(std::make_unique<KvService>(store));
  server->services_.push_back(std::make_unique<WatchService>(store->watchable()));
  server->services_.push_back(std::make_unique<LeaseService>(store));
  server->services_.push_back(std::make_unique<MaintenanceService>(store));
  server->services_.push_back(std::make_unique<ClusterService>(
      store, options.name, options.advertise_client_urls, options.peer_urls));
  for (auto& s : server->services_) builder.RegisterService(s.get());

  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ",
                                               absl::StrJoin(options.listen_addresses, ", "),
                                               " (address already in use or not available)"));
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    const bool is_unix = options.listen_addresses[i].rfind("unix:", 0) == 0;
    if (ports[i] == 0 && !is_unix) {
      server->server_->Shutdown();
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen_addresses[i],
                                                 " (address already in use or not available)"));
    }
  }
  return server;
}

StoreServer::~StoreServer() { Shutdown(absl::ZeroDuration()); }

void StoreServer::Shutdown(absl::Duration deadline) {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(absl::ToInt64Milliseconds(deadline)));
  server_->Wait();
  server_.reset();
}

}  // namespace minik8s::store
