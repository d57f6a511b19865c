#include "common/health_server.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace minik8s {

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::StartIfSet(
    const std::string& address) {
  if (address.empty()) return std::unique_ptr<HealthServer>();
  return Start(address);
}

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& address) {
  grpc::EnableDefaultHealthCheckService(true);
  std::unique_ptr<HealthServer> health(new HealthServer());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterCallbackGenericService(&health->unimplemented_);
  // gRPC sets SO_REUSEPORT by default: a busy port must be an error, not
  // a port shared with another daemon.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  health->server_ = builder.BuildAndStart();
  if (health->server_ == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve the health endpoint on ", address, " (port in use?)"));
  }
  health->SetServing(false);
  return health;
}

HealthServer::~HealthServer() {
  if (server_ == nullptr) return;
  SetServing(false);
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->Shutdown();
  }
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_->Wait();
}

void HealthServer::SetServing(bool serving) {
  if (server_ == nullptr) return;
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(serving);
  }
}

}  // namespace minik8s
