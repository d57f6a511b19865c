// A RuntimeClient over gRPC, to a minik8s-runtime daemon. Thread-safe (gRPC
// stubs are).
#ifndef MINIK8S_RUNTIME_GRPC_RUNTIME_CLIENT_H_
#define MINIK8S_RUNTIME_GRPC_RUNTIME_CLIENT_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/runtime_client.h"

namespace minik8s::runtime {

struct GrpcRuntimeClientOptions {
  // Deadline of ordinary calls.
  absl::Duration timeout = absl::Seconds(30);
  // Deadline of PullImage and StartContainer, which wait for simulated
  // delays. StopContainer gets its grace period plus `timeout`.
  absl::Duration long_timeout = absl::Minutes(30);
  // Longest wait between reconnection attempts after the runtime went away
  // (gRPC's default grows to 2 minutes; a restarted runtime should be found
  // again within about this long, as the kubelet's CRI client does with 3 s).
  absl::Duration max_reconnect_backoff = absl::Seconds(1);
};

// Dials `endpoint` ("unix:///path", a socket path, or host:port; see
// endpoint.h). The channel connects lazily: an absent runtime shows up as
// Unavailable on the first call.
absl::StatusOr<std::unique_ptr<RuntimeClient>> NewGrpcRuntimeClient(
    const std::string& endpoint, GrpcRuntimeClientOptions options = {});

std::unique_ptr<RuntimeClient> NewGrpcRuntimeClient(std::shared_ptr<grpc::Channel> channel,
                                                    GrpcRuntimeClientOptions options = {});

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_GRPC_RUNTIME_CLIENT_H_
