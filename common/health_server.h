// HealthServer: a daemon's health and metrics port. One TCP port speaks two
// protocols, told apart by a connection's first bytes (as the apiserver's
// port does): a connection that opens with the HTTP/2 preface ("PRI * ...",
// what every gRPC client sends first) is handed to a gRPC server with the
// standard health service (grpc.health.v1.Health), which `minik8s up`,
// tests and grpc_health_probe ask; any other connection is read as one
// HTTP/1.1 request:
//
//   GET /metrics   200, the Prometheus text format (by default the process'
//                  metrics::Registry::Default())
//   GET /healthz   200 "ok" while serving, 503 otherwise (also /readyz)
//   GET /livez     200 "ok" while the process runs
//   GET <page>     200, a page of the daemon's own (Options::json_pages)
//
// Every HTTP response closes its connection (a scrape is one request).
//
// With Options::tls the port speaks TLS only (as kube-scheduler's and
// kube-controller-manager's secure ports): ALPN tells HTTP/1.1 from gRPC
// (h2, relayed to the gRPC server through a local socket pair); a plaintext
// HTTP request is answered 400 ("Client sent an HTTP request to an HTTPS
// server.") and any other plaintext connection is closed. With a trusted CA
// file as well, a client certificate that is sent must verify (one that does
// not fails the handshake), and /metrics and the daemon's pages answer 401
// without one; health (gRPC, /healthz, /readyz, /livez) stays open to every
// client, as Kubernetes' always-allowed health paths.
//
// Check("") and /healthz answer NOT_SERVING from Start() until
// SetServing(true) (the daemon's caches have synced), and NOT_SERVING
// again after SetServing(false) (shutting down).
//
// Thread safety: SetServing may be called from any thread; the destructor
// from the owner once.
#ifndef MINIK8S_COMMON_HEALTH_SERVER_H_
#define MINIK8S_COMMON_HEALTH_SERVER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/tls.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/server.h"

namespace minik8s {

class HealthServer {
 public:
  struct Options {
    // Produces the /metrics body; unset: metrics::Registry::Default().Expose().
    std::function<std::string()> metrics;
    // A daemon's own read-only pages: GET <path> answers 200 with the
    // function's body as application/json (e.g. minik8s-proxy's /rules).
    std::map<std::string, std::function<std::string()>> json_pages;
    // Serve TLS only (see the top of this file). cert_file and key_file are
    // required; trusted_ca_file is optional; client_cert_auth is ignored
    // (health never needs a certificate).
    std::optional<TlsServerFiles> tls;
  };

  // Listens on `address` (host:port; port 0 picks a free one); Unavailable
  // when it cannot (the port is in use, the host does not resolve).
  static absl::StatusOr<std::unique_ptr<HealthServer>> Start(const std::string& address,
                                                             Options options = {});
  // As Start, but an empty address (the endpoint is optional) gives nullptr.
  static absl::StatusOr<std::unique_ptr<HealthServer>> StartIfSet(const std::string& address,
                                                                  Options options = {});
  // Stops accepting, closes every connection and waits for the threads.
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  void SetServing(bool serving);
  // The port listened on.
  int port() const { return port_; }

 private:
  explicit HealthServer(Options options);
  void AcceptLoop();
  class Stream;
  // Runs on its own thread per connection; owns `fd`.
  void HandleConnection(int fd);
  void HandleTlsConnection(int fd);
  // Reads one request from `stream` and answers it; `authenticated`: the
  // client presented a verified certificate (or the port has no CA).
  void ServeHttp(Stream& stream, bool authenticated);
  // Copies bytes both ways between a TLS connection and gRPC until either
  // side closes, nothing moves for two minutes, or the server stops.
  void RelayToGrpc(SSL* ssl, int fd);

  Options options_;
  SslCtxPtr ssl_ctx_;  // set with Options::tls
  // Answers every other method UNIMPLEMENTED; a server needs one service of
  // its own beside the health service to start.
  grpc::CallbackGenericService unimplemented_;
  std::unique_ptr<grpc::Server> server_;
  int listen_fd_ = -1;
  // Written once at shutdown and never read: stays readable, so every
  // poll() that includes it wakes up.
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<bool> serving_{false};
  std::thread accept_thread_;
  absl::Mutex mu_;
  int connections_ ABSL_GUARDED_BY(mu_) = 0;  // connection threads running
};

}  // namespace minik8s

#endif  // MINIK8S_COMMON_HEALTH_SERVER_H_
