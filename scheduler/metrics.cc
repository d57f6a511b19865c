#include "scheduler/metrics.h"

#include "common/metrics.h"
#include "spdlog/spdlog.h"

namespace minik8s::scheduler {
namespace {

struct Families {
  metrics::CounterFamily* attempts = nullptr;
  metrics::HistogramFamily* duration = nullptr;
};

const Families& Get() {
  static const Families* const families = [] {
    metrics::Registry& r = metrics::Registry::Default();
    auto* f = new Families;
    auto attempts = metrics::NewCounter(
        r, "scheduler_schedule_attempts_total",
        "Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could "
        "not be scheduled, while 'error' means an internal scheduler problem.",
        {"result", "profile"});
    // kube-scheduler's buckets: 1 ms doubling 15 times (to ~16 s).
    auto duration = metrics::NewHistogram(
        r, "scheduler_scheduling_attempt_duration_seconds",
        "Scheduling attempt latency in seconds (scheduling algorithm + binding)",
        {"result", "profile"}, *metrics::ExponentialBuckets(0.001, 2, 15));
    if (attempts.ok() && duration.ok()) {
      f->attempts = *attempts;
      f->duration = *duration;
    } else {
      spdlog::error("scheduler metrics cannot be registered");
    }
    return f;
  }();
  return *families;
}

}  // namespace

void RecordSchedulingAttempt(absl::string_view result, absl::string_view profile,
                             absl::Duration duration) {
  const Families& f = Get();
  if (f.attempts == nullptr) return;
  f.attempts->WithLabelValues({result, profile}).Inc();
  f.duration->WithLabelValues({result, profile}).Observe(absl::ToDoubleSeconds(duration));
}

}  // namespace minik8s::scheduler
