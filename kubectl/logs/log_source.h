// Where `mkctl logs` reads container logs from. In Kubernetes the apiserver
// proxies pods/log to the kubelet of the pod's node, which reads the
// runtime's log files. minik8s has no such path yet (the kubelet is not
// written), so the only implementation, UnavailableLogSource, answers
// Unimplemented with a sentence that says so; a kubelet-backed source will
// implement the same interface.
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
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace minik8s::kubectl {

struct LogRequest {
  std::string namespace_;
  std::string pod;
  std::string container;
  std::string node;                // spec.nodeName of the pod
  bool follow = false;             // -f
  bool previous = false;           // --previous: the last terminated instance
  bool timestamps = false;         // prefix each line with its RFC3339 time
  std::optional<int64_t> tail_lines;     // --tail (unset: everything)
  std::optional<absl::Duration> since;   // --since
};

class LogSource {
 public:
  virtual ~LogSource() = default;
  // Calls `sink` with chunks of log text until the log ends (or, with
  // follow, the container stops) or `sink` returns false.
  virtual absl::Status Stream(const LogRequest& request,
                              const std::function<bool(absl::string_view)>& sink) = 0;
};

// Answers every request with Unimplemented: `logs are not available yet:
// reading container logs needs the kubelet's log endpoint, which minik8s
// does not have yet (pod "x", container "y")`.
std::unique_ptr<LogSource> NewUnavailableLogSource();

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_LOGS_LOG_SOURCE_H_
