// Where the runtime listens / where clients dial. Accepts
//   "unix:///run/minik8s/runtime.sock"  (as is)
//   "/run/minik8s/runtime.sock" or "./x.sock"  (a socket path)
//   "127.0.0.1:7000", "http://127.0.0.1:7000"  (TCP, for debugging)
//
// The listening unix socket is private to the runtime's user
// (common/unix_socket.h).
//
// Thread safety: pure functions.
#ifndef MINIK8S_RUNTIME_ENDPOINT_H_
#define MINIK8S_RUNTIME_ENDPOINT_H_

#include <string>

#include "absl/status/statusor.h"

namespace minik8s::runtime {

// The gRPC address for `endpoint`.
absl::StatusOr<std::string> RuntimeEndpointToGrpcAddress(const std::string& endpoint);

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_ENDPOINT_H_
