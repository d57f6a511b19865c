// HealthServer: the standard gRPC health service (grpc.health.v1.Health) on
// its own port, for daemons that serve no gRPC API of their own (the
// controller-manager and the scheduler), so `minik8s up`, tests and
// grpc_health_probe can ask whether they are up.
//
// Check("") answers NOT_SERVING from Start() until SetServing(true) (the
// daemon's caches have synced), and NOT_SERVING again after
// SetServing(false) (shutting down).
//
// Thread safety: SetServing may be called from any thread.
#ifndef MINIK8S_COMMON_HEALTH_SERVER_H_
#define MINIK8S_COMMON_HEALTH_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/server.h"

namespace minik8s {

class HealthServer {
 public:
  // Listens on `address` (host:port); Unavailable when it cannot.
  static absl::StatusOr<std::unique_ptr<HealthServer>> Start(const std::string& address);
  // As Start, but an empty address (the endpoint is optional) gives nullptr.
  static absl::StatusOr<std::unique_ptr<HealthServer>> StartIfSet(const std::string& address);
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  void SetServing(bool serving);

 private:
  HealthServer() = default;
  // Answers every other method UNIMPLEMENTED; a server needs one service of
  // its own beside the health service to start.
  grpc::CallbackGenericService unimplemented_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace minik8s

#endif  // MINIK8S_COMMON_HEALTH_SERVER_H_
