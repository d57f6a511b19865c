// The scheduler's metrics, under kube-scheduler's names, in
// metrics::Registry::Default() (served on the daemon's /metrics):
//
//   scheduler_schedule_attempts_total{result, profile}
//   scheduler_scheduling_attempt_duration_seconds{result, profile}
//
// `result` is "scheduled" (bound), "unschedulable" (no node fits) or
// "error" (an internal problem, a rejected binding); `profile` is the
// profile's scheduler name. An attempt's duration runs from taking the pod
// off the queue to the end of its binding (or to its failure).
//
// Thread safety: safe from any thread.
#ifndef MINIK8S_SCHEDULER_METRICS_H_
#define MINIK8S_SCHEDULER_METRICS_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace minik8s::scheduler {

inline constexpr absl::string_view kResultScheduled = "scheduled";
inline constexpr absl::string_view kResultUnschedulable = "unschedulable";
inline constexpr absl::string_view kResultError = "error";

void RecordSchedulingAttempt(absl::string_view result, absl::string_view profile,
                             absl::Duration duration);

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_METRICS_H_
