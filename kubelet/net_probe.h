// The kubelet's network probes, as Kubernetes' tcp and http probers
// (pkg/probe/tcp, pkg/probe/http) run them: from the kubelet, against the
// pod's address and the container's port.
//
//   - TcpProbe: success when a TCP connection to host:port is established
//     within the timeout (then closed at once);
//   - HttpProbe: one `GET path HTTP/1.1` with `Host`, `User-Agent:
//     kube-probe/1.31`, `Accept: */*` and `Connection: close` (the probe's
//     httpHeaders replace or add to these); success when the status is
//     200..399 within the timeout. A redirect is not followed: 3xx counts
//     as success (Kubernetes follows redirects to the same host).
//
// Failure messages follow Kubernetes' wording, which is what `describe pod`
// shows in Unhealthy events: `dial tcp 127.244.1.2:8080: connect:
// connection refused`, `HTTP probe failed with statuscode: 503`,
// `Get "http://127.244.1.2:8080/healthz": dial tcp ...: i/o timeout`.
//
// Blocking POSIX sockets with poll: each call takes at most `timeout` on
// the calling thread. Thread-safe (no shared state).
#ifndef MINIK8S_KUBELET_NET_PROBE_H_
#define MINIK8S_KUBELET_NET_PROBE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace minik8s::kubelet {

struct NetProbeOutcome {
  bool success = false;
  std::string message;  // why it failed ("" on success)
  int http_status = 0;  // HttpProbe: the status received (0: none)
};

// host: an IPv4 address or a name resolved to one.
NetProbeOutcome TcpProbe(const std::string& host, int port, absl::Duration timeout);

struct HttpProbeRequest {
  std::string host;
  int port = 0;
  std::string path;  // "" or without a leading '/' is made absolute
  std::vector<std::pair<std::string, std::string>> headers;
};

NetProbeOutcome HttpProbe(const HttpProbeRequest& req, absl::Duration timeout);

// Whether `ip` is an IPv4 address in 127.0.0.0/8: minik8s' rootless pod
// network, where the runtime answers on each container's ports.
bool IsLoopbackIpv4(absl::string_view ip);

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_NET_PROBE_H_
