// The READY, STATUS and RESTARTS columns of `kubectl get pods`.
//
// STATUS: the pod's status.reason, else its phase; an init container that
// has not succeeded makes it `Init:<reason>`, `Init:ExitCode:<n>`,
// `Init:Signal:<n>` or `Init:<i>/<n>`; otherwise the last container (in
// status order) whose state is waiting or terminated with a reason overrides
// it (`CrashLoopBackOff`, `Completed`, `ExitCode:1`); `Completed` with a
// container still running reads `Running` (pod Ready) or `NotReady`;
// `Terminating` when the pod has a deletionTimestamp and is not finished
// (`Unknown` when the node was unreachable).
//
// Thread safety: pure functions.
#ifndef MINIK8S_PRINTERS_POD_STATUS_H_
#define MINIK8S_PRINTERS_POD_STATUS_H_

#include <string>

#include "absl/time/time.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::printers {

struct PodSummary {
  int ready_containers = 0;
  int total_containers = 0;
  std::string status;  // STATUS column
  int restarts = 0;
  // Latest lastState.terminated.finishedAt over the counted containers.
  absl::Time last_restart = absl::InfinitePast();
};

PodSummary SummarizePod(const minik8s::core::v1::Pod& pod);

// `3`, or `3 (5m ago)` when a restart time is known.
std::string RestartsColumn(const PodSummary& summary, absl::Time now);

}  // namespace minik8s::printers

#endif  // MINIK8S_PRINTERS_POD_STATUS_H_
