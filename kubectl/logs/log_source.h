// Where `mkctl logs` reads container logs from.
//
// In Kubernetes the apiserver checks the request (pods/log: the container
// exists, the pod has a node) and proxies it to the kubelet of the pod's
// node, which checks the container's state and reads the runtime's log.
// The apiserver's gRPC API, which mkctl uses, has no pods/log (its HTTP
// API serves one, apiserver/rest/log_stream.h), so mkctl does the
// apiserver's part itself: CheckLogRequest (pure, client/pod_logs.h)
// applies the apiserver's and the kubelet's checks to the Pod it read, and
// the kubelet-backed LogSource dials the node's kubelet directly (the
// Node's status.addresses InternalIP, else Hostname, and
// status.daemonEndpoints.kubeletEndpoint.port) and streams
// `minik8s.kubelet.v1.Kubelet/ContainerLogs`.
//
// Thread safety: implementations must allow one Stream call at a time.
#ifndef MINIK8S_KUBECTL_LOGS_LOG_SOURCE_H_
#define MINIK8S_KUBECTL_LOGS_LOG_SOURCE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "client/pod_logs.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubectl {

struct LogRequest {
  std::string namespace_;
  std::string pod;
  std::string container;
  std::string node;                     // spec.nodeName of the pod
  bool follow = false;                  // -f
  bool previous = false;                // --previous: the last terminated instance
  bool timestamps = false;              // prefix each line with its RFC3339 time
  std::optional<int64_t> tail_lines;    // --tail (unset: everything)
  std::optional<absl::Duration> since;  // --since
};

class LogSource {
 public:
  virtual ~LogSource() = default;
  // Calls `sink` with chunks of log text until the log ends (or, with
  // follow, the container stops) or `sink` returns false.
  virtual absl::Status Stream(const LogRequest& request,
                              const std::function<bool(absl::string_view)>& sink) = 0;
};

// The checks before a log is streamed and the kubelet address of a Node
// live in the client library, shared with the apiserver's pods/log.
using client::CheckLogRequest;
using client::KubeletAddress;

// Reads logs from the kubelet of `request.node`, found through `api`
// (borrowed; must outlive the source). --since is applied to the lines'
// timestamps here (the kubelet API has no such option); with --since and
// --tail but not -f, the tail is taken after the --since filter.
std::unique_ptr<LogSource> NewKubeletLogSource(client::ApiClient* api);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_LOGS_LOG_SOURCE_H_
