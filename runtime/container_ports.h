// The ports a container declares, as the kubelet hands them to the runtime:
// the container annotation `io.kubernetes.container.ports`
// (kContainerPortsAnnotation), a JSON array of core/v1 ContainerPort
// objects the way the Kubernetes kubelet writes it for containerd, e.g.
//   [{"name":"http","containerPort":80,"protocol":"TCP"}]
// The runtime answers TCP on the TCP ones at the pod's address
// (port_listeners.h).
//
// Thread safety: pure functions.
#ifndef MINIK8S_RUNTIME_CONTAINER_PORTS_H_
#define MINIK8S_RUNTIME_CONTAINER_PORTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cri/v1/api.pb.h"

namespace minik8s::runtime {

// Key of ContainerConfig.annotations holding the container's ports (the
// Kubernetes kubelet's own key).
inline constexpr char kContainerPortsAnnotation[] = "io.kubernetes.container.ports";

// Longest annotation value and most ports ParseContainerPorts accepts.
inline constexpr size_t kMaxContainerPortsJson = 64 * 1024;
inline constexpr int kMaxContainerPorts = 1024;

struct DeclaredPort {
  std::string name;      // may be empty
  int port = 0;          // containerPort, 1..65535
  std::string protocol;  // "TCP" (when left out), "UDP", "SCTP"

  friend bool operator==(const DeclaredPort&, const DeclaredPort&) = default;
};

// The ports of the annotation value `json`. InvalidArgument when it is not a
// JSON array of ContainerPort objects, is longer than
// kMaxContainerPortsJson, holds more than kMaxContainerPorts entries, or a
// containerPort is outside 1..65535. Unknown fields are ignored.
absl::StatusOr<std::vector<DeclaredPort>> ParseContainerPorts(absl::string_view json);

// The distinct TCP port numbers of the config's annotation, in the order
// declared; none when it has no annotation. A malformed annotation is
// InvalidArgument.
absl::StatusOr<std::vector<int>> TcpPortsOf(const minik8s::cri::v1::ContainerConfig& config);

// Whether `ip` is an IPv4 address in 127.0.0.0/8.
bool IsLoopbackIpv4(absl::string_view ip);

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_CONTAINER_PORTS_H_
