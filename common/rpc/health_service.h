// grpc.health.v1.Health on the gRPC server of rpc/h2_server.h, as gRPC's
// default health service answers it, for the empty service name (the
// server as a whole):
//
//   Check  SERVING or NOT_SERVING for "", NOT_FOUND ("service name
//          unknown") for any other name.
//   Watch  the current status at once (SERVICE_UNKNOWN for any name but
//          ""), then a new message each time the status changes, until the
//          client cancels the call or the server shuts down (which cancels
//          it). A watcher slower than the changes gets the latest status,
//          not every one in between.
//
// (The tree has no health proto: the messages are encoded here.)
//
// Thread safety: SetServing may be called from any thread. The service may
// be destroyed before or after the server shuts down: its methods and open
// watches keep what they use alive, and a watch ends only as the server's
// calls do (the client cancels, or Server::Shutdown cancels it).
#ifndef MINIK8S_COMMON_RPC_HEALTH_SERVICE_H_
#define MINIK8S_COMMON_RPC_HEALTH_SERVICE_H_

#include <memory>

#include "common/rpc/h2_server.h"

namespace minik8s::rpc {

class HealthService final {
 public:
  // Registers Check and Watch on `server` (before its Start), with the
  // status of "" SERVING or NOT_SERVING.
  explicit HealthService(Server* server, bool serving = true);
  ~HealthService();
  HealthService(const HealthService&) = delete;
  HealthService& operator=(const HealthService&) = delete;

  // The status of "": every open Watch of "" gets it, if it changed.
  void SetServing(bool serving);

 private:
  class State;
  class WatchCall;
  std::shared_ptr<State> state_;
};

}  // namespace minik8s::rpc

#endif  // MINIK8S_COMMON_RPC_HEALTH_SERVICE_H_
