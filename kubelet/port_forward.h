// Port forwarding for `mkctl port-forward` (proto/kubelet/v1/kubelet.proto
// Kubelet/PortForward): one gRPC stream carries one TCP connection from the
// client to a port of a pod this kubelet runs, as the kubelet's
// port-forward endpoint does in Kubernetes.
//
// PodDialer is the core (no gRPC): it finds the pod's ready sandbox through
// the runtime (by the pod labels the kubelet puts on it) and connects to the
// pod IP the kubelet assigned (runtime::kPodIpAnnotation). ServePortForward
// relays one stream: the handler thread copies pod -> client, a second
// thread client -> pod; at most one 64 KiB buffer is in flight each way
// (gRPC's flow control pushes back on a slow client, a full socket on a
// slow pod). Both threads watch the call's cancellation, so a client that
// vanishes ends the relay and its threads.
//
// Thread-safe. The RuntimeClient must outlive the dialer.
#ifndef MINIK8S_KUBELET_PORT_FORWARD_H_
#define MINIK8S_KUBELET_PORT_FORWARD_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/sync_stream.h>

#include <string>

#include "absl/status/statusor.h"
#include "kubelet/v1/kubelet.grpc.pb.h"
#include "runtime/runtime_client.h"

namespace minik8s::kubelet {

class PodDialer {
 public:
  explicit PodDialer(runtime::RuntimeClient* runtime) : runtime_(runtime) {}

  // The IP of the pod's ready sandbox. NotFound `pods "x" not found` when
  // the runtime has no sandbox of the pod; FailedPrecondition when none is
  // ready or it has no IP.
  absl::StatusOr<std::string> PodIp(const std::string& ns, const std::string& pod);

  // A connected TCP socket to the pod's `port` (the caller closes it).
  // Unavailable, in the kubelet's words, when the port refuses.
  absl::StatusOr<int> Dial(const std::string& ns, const std::string& pod, int port);

 private:
  runtime::RuntimeClient* const runtime_;
};

// Serves one Kubelet/PortForward call (see the proto for the protocol).
grpc::Status ServePortForward(
    PodDialer& dialer, grpc::ServerContext* context,
    grpc::ServerReaderWriter<minik8s::kubelet::v1::PortForwardResponse,
                             minik8s::kubelet::v1::PortForwardRequest>* stream);

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_PORT_FORWARD_H_
