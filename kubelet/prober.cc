#include "kubelet/prober.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "kubelet/net_probe.h"

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

std::optional<int> ResolveProbePort(const minik8s::meta::v1::IntOrString& port,
                                    const minik8s::core::v1::Container* container) {
  if (port.has_int_val()) return port.int_val();
  if (!port.has_str_val()) return 0;
  if (container != nullptr) {
    for (const auto& p : container->ports()) {
      if (p.name() == port.str_val()) return p.container_port();
    }
  }
  int n = 0;
  if (absl::SimpleAtoi(port.str_val(), &n)) return n;
  return std::nullopt;
}

namespace {

namespace cri = ::minik8s::cri::v1;

// The kubelet's own check of an httpGet or tcpSocket probe against a real
// pod address; nullopt when this probe is left to the runtime's simulation.
std::optional<ProbeCheck> NetworkCheck(const minik8s::core::v1::Probe& spec,
                                       const ProbeTarget& target, absl::Duration timeout) {
  if (!IsLoopbackIpv4(target.pod_ip)) return std::nullopt;
  const std::string container_name = target.container ? target.container->name() : "";
  auto no_port = [&](const minik8s::meta::v1::IntOrString& port) {
    return ProbeCheck{false,
                      absl::StrCat("couldn't find port: ", port.str_val(), " in ", container_name)};
  };
  if (spec.has_http_get()) {
    const auto& h = spec.http_get();
    if (!h.scheme().empty() && !absl::EqualsIgnoreCase(h.scheme(), "HTTP")) return std::nullopt;
    std::optional<int> port = ResolveProbePort(h.port(), target.container);
    if (!port) return no_port(h.port());
    HttpProbeRequest req;
    req.host = h.host().empty() ? target.pod_ip : h.host();
    req.port = *port;
    req.path = h.path();
    for (const auto& header : h.http_headers())
      req.headers.emplace_back(header.name(), header.value());
    NetProbeOutcome out = HttpProbe(req, timeout);
    return ProbeCheck{out.success, out.message};
  }
  if (spec.has_tcp_socket()) {
    const auto& t = spec.tcp_socket();
    std::optional<int> port = ResolveProbePort(t.port(), target.container);
    if (!port) return no_port(t.port());
    NetProbeOutcome out = TcpProbe(t.host().empty() ? target.pod_ip : t.host(), *port, timeout);
    return ProbeCheck{out.success, out.message};
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<ProbeCheck> RunProbe(runtime::RuntimeClient* runtime,
                                    const std::string& container_id,
                                    const minik8s::core::v1::Probe& spec, ProbeKind kind,
                                    absl::Duration timeout, const ProbeTarget& target) {
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
  // A real address: the port must answer first.
  if (std::optional<ProbeCheck> net = NetworkCheck(spec, target, timeout)) {
    if (!net->success) return *net;
  }
  cri::ProbeRequest req;
  req.set_container_id(container_id);
  req.set_kind(cri_kind);
  if (spec.has_http_get()) {
    req.set_handler(cri::HTTP_GET);
    req.set_port(ResolveProbePort(spec.http_get().port(), target.container).value_or(0));
    req.set_path(spec.http_get().path());
  } else if (spec.has_tcp_socket()) {
    req.set_handler(cri::TCP_SOCKET);
    req.set_port(ResolveProbePort(spec.tcp_socket().port(), target.container).value_or(0));
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
