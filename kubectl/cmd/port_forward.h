// mkctl port-forward TYPE/NAME [LOCAL_PORT:]REMOTE_PORT [...] [--address]:
// the pure parts (tested without a server) — the port specs as kubectl
// reads them, named and Service ports translated to the pod's container
// port, and the listen addresses. The command (port_forward.cc) resolves
// the pod and relays each local connection through the pod's kubelet
// (kubectl/portforward/kubelet_forwarder.h).
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_CMD_PORT_FORWARD_H_
#define MINIK8S_KUBECTL_CMD_PORT_FORWARD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubectl {

struct ForwardedPort {
  int local = 0;  // 0: pick a free port
  int remote = 0;
  bool operator==(const ForwardedPort&) const = default;
};

// Rewrites each `[LOCAL:]REMOTE` so REMOTE is the pod's port number, as
// kubectl does before it parses them:
//   - with a Service (`svc` non-null): REMOTE is a service port (number or
//     port name: `Service 'x' does not have a named port 'p'`), replaced by
//     its targetPort — a number, the service port when unset, or a named
//     container port of `pod` (`Pod 'x' does not have a named port 'p'`);
//     `Service x does not have a service port N` when no port matches. A
//     spec without LOCAL keeps the service port as the local port.
//   - otherwise a non-numeric REMOTE names a container port of `pod`; a spec
//     without LOCAL gets that number as the local port too.
absl::StatusOr<std::vector<std::string>> TranslatePortSpecs(const std::vector<std::string>& specs,
                                                            const core::v1::Pod& pod,
                                                            const core::v1::Service* svc);

// Parses translated specs: `8080:80`, `80` (local = remote), `:80` (a free
// local port). kubectl's errors: `invalid port format '1:2:3'`, `Error
// parsing local port 'x': ...`, `Error parsing remote port 'x': ...`,
// `remote port must be > 0`.
absl::StatusOr<std::vector<ForwardedPort>> ParsePortSpecs(const std::vector<std::string>& specs);

// --address: a comma-separated list of IPv4 addresses or `localhost`
// (127.0.0.1), duplicates dropped; `x is not a valid IP` otherwise.
absl::StatusOr<std::vector<std::string>> ParseListenAddresses(const std::string& flag);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_PORT_FORWARD_H_
