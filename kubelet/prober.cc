#include "kubelet/prober.h"

namespace minik8s::kubelet {

const char* ProbeKindName(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::kLiveness:
      return "Liveness";
    case ProbeKind::kReadiness:
      return "Readiness";
    case ProbeKind::kStartup:
      return "Startup";
  }
  return "";
}

ProbeTiming TimingOf(const minik8s::core::v1::Probe& probe) {
  ProbeTiming t;
  if (probe.has_initial_delay_seconds() && probe.initial_delay_seconds() > 0) {
    t.initial_delay = absl::Seconds(probe.initial_delay_seconds());
  }
  if (probe.has_period_seconds() && probe.period_seconds() > 0) {
    t.period = absl::Seconds(probe.period_seconds());
  }
  if (probe.has_timeout_seconds() && probe.timeout_seconds() > 0) {
    t.timeout = absl::Seconds(probe.timeout_seconds());
  }
  if (probe.has_success_threshold() && probe.success_threshold() > 0) {
    t.success_threshold = probe.success_threshold();
  }
  if (probe.has_failure_threshold() && probe.failure_threshold() > 0) {
    t.failure_threshold = probe.failure_threshold();
  }
  return t;
}

ProbeResult ProbeState::result() const {
  if (result_ != ProbeResult::kUnknown) return result_;
  switch (kind_) {
    case ProbeKind::kReadiness:
      return ProbeResult::kFailure;
    case ProbeKind::kLiveness:
      return ProbeResult::kSuccess;
    case ProbeKind::kStartup:
      return ProbeResult::kUnknown;
  }
  return ProbeResult::kUnknown;
}

bool ProbeState::Record(bool success, absl::Time now) {
  ProbeResult before = result();
  if (success == last_success_ && consecutive_ > 0) {
    ++consecutive_;
  } else {
    consecutive_ = 1;
    last_success_ = success;
  }
  if (success && consecutive_ >= timing_.success_threshold) {
    result_ = ProbeResult::kSuccess;
  } else if (!success && consecutive_ >= timing_.failure_threshold) {
    result_ = ProbeResult::kFailure;
  }
  // Keep the cadence anchored to the schedule, not to when the check ran.
  next_ = std::max(next_ + timing_.period, now);
  if (next_ <= now) next_ = now + timing_.period;
  return result() != before;
}

}  // namespace minik8s::kubelet
