// Deliberate failure modes of a simulated container, read from its
// environment variables (MINIK8S_SIM_*). Durations are Go-style ("5s",
// "1m30s", "500ms") or a plain number of seconds; all are measured from the
// moment the container started running.
//
//   MINIK8S_SIM_CRASH_AFTER=D        exit after D with MINIK8S_SIM_EXIT_CODE
//   MINIK8S_SIM_EXIT_CODE=N          exit code of the crash (default 1); set
//                                    alone, the container crashes right
//                                    after it starts
//   MINIK8S_SIM_OOM_AFTER=D          killed after D: exit 137, OOMKilled
//   MINIK8S_SIM_READY_AFTER=D        readiness probes fail until D has passed
//   MINIK8S_SIM_READINESS=fail       readiness probes always fail
//   MINIK8S_SIM_LIVENESS=fail        liveness probes always fail
//   MINIK8S_SIM_LIVENESS_FAIL_AFTER=D  liveness probes fail from D on
//   MINIK8S_SIM_STARTUP_AFTER=D      startup probes fail until D has passed
//   MINIK8S_SIM_IGNORE_SIGTERM=1     SIGTERM is ignored; StopContainer kills
//                                    the container when the grace period ends
// Pure; thread-compatible.
#ifndef MINIK8S_RUNTIME_SIM_OPTIONS_H_
#define MINIK8S_RUNTIME_SIM_OPTIONS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace minik8s::runtime {

struct SimOptions {
  std::optional<absl::Duration> crash_after;
  int exit_code = 1;
  std::optional<absl::Duration> oom_after;
  std::optional<absl::Duration> ready_after;
  bool readiness_fail = false;
  bool liveness_fail = false;
  std::optional<absl::Duration> liveness_fail_after;
  std::optional<absl::Duration> startup_after;
  bool ignore_sigterm = false;
};

// Reads the MINIK8S_SIM_* variables of `env`. A malformed value is an
// InvalidArgument error naming the variable; other variables are ignored.
absl::StatusOr<SimOptions> ParseSimOptions(const std::map<std::string, std::string>& env);

// "5s", "1m30s", "250ms" or a plain (possibly fractional) number of seconds;
// negative durations are refused.
absl::StatusOr<absl::Duration> ParseSimDuration(const std::string& text);

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_SIM_OPTIONS_H_
