// What the simulated workloads print on their own: the lines a real image's
// entrypoint writes when it starts and stops, so `kubectl logs` of a
// simulated container looks like the real thing. Today that is nginx (any
// image whose repository contains "nginx", run with its default command).
// Pure functions; thread-safe.
#ifndef MINIK8S_RUNTIME_WORKLOAD_LOGS_H_
#define MINIK8S_RUNTIME_WORKLOAD_LOGS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace minik8s::runtime {

struct LogLine {
  std::string stream;  // "stdout" or "stderr"
  std::string text;    // without the newline
};

// Whether the image (normalized, see image_name.h) prints nginx's lines.
bool IsNginxImage(const std::string& normalized_image);

// The version nginx reports: the image tag when it starts with a digit
// ("1.14.2-alpine" -> "1.14.2"), else a recent release.
std::string NginxVersion(const std::string& normalized_image);

// nginx's entrypoint and master process starting at `now`.
std::vector<LogLine> NginxStartLines(const std::string& normalized_image, absl::Time now);

// nginx's master process on SIGTERM at `now`.
std::vector<LogLine> NginxStopLines(absl::Time now);

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_WORKLOAD_LOGS_H_
