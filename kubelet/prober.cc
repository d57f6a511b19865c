#include "kubelet/prober.h"

#include "absl/strings/str_cat.h"

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

absl::StatusOr<ProbeCheck> RunProbe(runtime::RuntimeClient* runtime,
                                    const std::string& container_id,
                                    const minik8s::core::v1::Probe& spec, ProbeKind kind,
                                    absl::Duration timeout) {
  namespace cri = ::minik8s::cri::v1;
  const cri::ProbeKind cri_kind = kind == ProbeKind::kLiveness    ? cri::LIVENESS
                                  : kind == ProbeKind::kReadiness ? cri::READINESS
                                                                  : cri::STARTUP;
  if (spec.has_exec()) {
    cri::ExecSyncRequest req;
    req.set_container_id(container_id);
    for (const auto& s : spec.exec().command()) req.add_cmd(s);
    req.set_timeout(absl::ToInt64Seconds(timeout));
    req.set_probe_kind(cri_kind);
    auto resp = runtime->ExecSync(req);
    if (!resp.ok()) return resp.status();
    std::string out = resp->stdout() + resp->stderr();
    if (resp->exit_code() == 0) return ProbeCheck{true, out};
    if (out.empty()) out = absl::StrCat("command exited with code ", resp->exit_code());
    return ProbeCheck{false, out};
  }
  cri::ProbeRequest req;
  req.set_container_id(container_id);
  req.set_kind(cri_kind);
  if (spec.has_http_get()) {
    req.set_handler(cri::HTTP_GET);
    req.set_port(spec.http_get().port().int_val());
    req.set_path(spec.http_get().path());
  } else if (spec.has_tcp_socket()) {
    req.set_handler(cri::TCP_SOCKET);
    req.set_port(spec.tcp_socket().port().int_val());
  } else if (spec.has_grpc()) {
    req.set_handler(cri::GRPC);
    req.set_port(spec.grpc().port());
  } else {
    return ProbeCheck{true, ""};
  }
  auto resp = runtime->Probe(req);
  if (!resp.ok()) return resp.status();
  return ProbeCheck{resp->success(), resp->message()};
}

}  // namespace minik8s::kubelet
