// The kubelet's gRPC API (proto/kubelet/v1/kubelet.proto): container logs
// for `mkctl logs`, read from the container runtime, and port forwarding
// for `mkctl port-forward` (port_forward.h).
//
// LogReader is the core (no gRPC): it finds the container instance by the
// labels the kubelet puts on it (pod namespace/name, container name; the
// highest attempt is the current instance, the one before it `previous`)
// and streams its log through RuntimeClient::ReadLogs.
// KubeletServer serves it (synchronous gRPC API; one thread per open
// stream, fine for the handful of log readers a node sees).
//
// With TLS files the API is served over TLS (kubelet's --tls-cert-file,
// --tls-private-key-file); with a client CA as well (--client-ca-file) every
// caller must present a certificate signed by it — or, when `auth` takes
// bearer tokens (--authentication-token-webhook), either such a
// certificate or a token (the handshake then asks for a certificate
// without requiring one). Each call is then
// authorized by the KubeletAuth given (server_auth.h; --authorization-mode
// Webhook asks the apiserver): ContainerLogs as the kubelet's
// `GET /containerLogs/<ns>/<pod>/<container>`, PortForward as
// `POST /portForward`, both nodes/proxy; a refusal is PERMISSION_DENIED
// with the kubelet's message,
//   Forbidden (user=system:node:n2, verb=get, resource=nodes, subresource(s)=[proxy])
//
// Thread-safe. The RuntimeClient must outlive both.
#ifndef MINIK8S_KUBELET_LOG_SERVICE_H_
#define MINIK8S_KUBELET_LOG_SERVICE_H_

#include <grpcpp/server.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/tls.h"
#include "kubelet/server_auth.h"
#include "kubelet/v1/kubelet.grpc.pb.h"
#include "runtime/runtime_client.h"

namespace minik8s::kubelet {

class LogReader {
 public:
  explicit LogReader(runtime::RuntimeClient* runtime) : runtime_(runtime) {}

  // The runtime id of the container instance the request names.
  absl::StatusOr<std::string> FindContainer(const minik8s::kubelet::v1::ContainerLogsRequest& req);

  // Streams the log to `sink` (return false to stop).
  absl::Status Read(const minik8s::kubelet::v1::ContainerLogsRequest& req,
                    const std::function<bool(const minik8s::kubelet::v1::LogLine&)>& sink);

 private:
  runtime::RuntimeClient* const runtime_;
};

class KubeletServer {
 public:
  // Serves on `address` ("127.0.0.1:10250"; port 0 picks one), in
  // plaintext or with `tls`, authorizing with `auth` (see above; null:
  // every caller, as --authorization-mode AlwaysAllow). `auth` must
  // outlive the server.
  static absl::StatusOr<std::unique_ptr<KubeletServer>> Start(
      const std::string& address, runtime::RuntimeClient* runtime,
      const std::optional<TlsServerFiles>& tls = std::nullopt, const KubeletAuth* auth = nullptr);
  ~KubeletServer();
  int port() const { return port_; }
  void Shutdown();

 private:
  class Service;
  KubeletServer() = default;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_LOG_SERVICE_H_
