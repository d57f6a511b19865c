// Probe bookkeeping for one probe (liveness, readiness or startup) of one
// running container instance, with Kubernetes' rules (pkg/kubelet/prober):
//
//   - the first probe runs initialDelaySeconds after the container started,
//     then every periodSeconds (defaults: delay 0, period 10 s, timeout 1 s,
//     successThreshold 1, failureThreshold 3);
//   - the result flips to Failure after failureThreshold consecutive
//     failures and to Success after successThreshold consecutive successes;
//   - before any flip the result is the kind's initial one: readiness
//     Failure (not ready until proven), liveness Success, startup Unknown.
//
// ProbeState does no I/O: the prober manager (prober_manager.h) asks
// Due(now), runs the check with RunProbe, and reports it with Record().
// ProbeState is pure and thread-compatible.
//
// RunProbe is the one place a probe is executed: one check of a probe spec
// (exec, httpGet, tcpSocket, grpc) against a container. Where the pod's
// address is real (127.0.0.0/8, the rootless pod network on which the
// runtime answers on each container's ports), httpGet (HTTP scheme) and
// tcpSocket probes are run by the kubelet against podIP:port as Kubernetes
// runs them (net_probe.h); elsewhere (scale mode's 10.x pods) and for exec,
// grpc and HTTPS probes the runtime simulates the check. Thread-safe as far
// as the RuntimeClient is.
#ifndef MINIK8S_KUBELET_PROBER_H_
#define MINIK8S_KUBELET_PROBER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "k8s/core/v1/core.pb.h"
#include "runtime/runtime_client.h"

namespace minik8s::kubelet {

enum class ProbeKind { kLiveness, kReadiness, kStartup };
enum class ProbeResult { kUnknown, kSuccess, kFailure };

const char* ProbeKindName(ProbeKind kind);  // "Liveness", "Readiness", "Startup"

struct ProbeTiming {
  absl::Duration initial_delay;
  absl::Duration period = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(1);
  int success_threshold = 1;
  int failure_threshold = 3;
};

// The spec's timing with Kubernetes' defaults filled in.
ProbeTiming TimingOf(const minik8s::core::v1::Probe& probe);

class ProbeState {
 public:
  ProbeState(ProbeKind kind, ProbeTiming timing, absl::Time container_started)
      : kind_(kind), timing_(timing), next_(container_started + timing.initial_delay) {}

  ProbeKind kind() const { return kind_; }
  const ProbeTiming& timing() const { return timing_; }
  ProbeResult result() const;
  bool Due(absl::Time now) const { return now >= next_; }
  absl::Time next_probe() const { return next_; }

  // Records a check made at `now` and schedules the next one. Returns true
  // when result() changed.
  bool Record(bool success, absl::Time now);

  // Stops probing (a startup probe that succeeded, a dead container).
  void Stop() { next_ = absl::InfiniteFuture(); }

 private:
  const ProbeKind kind_;
  const ProbeTiming timing_;
  absl::Time next_;
  ProbeResult result_ = ProbeResult::kUnknown;  // kUnknown: the initial result
  int consecutive_ = 0;                         // of the last outcome
  bool last_success_ = false;
};

// The outcome of one check: whether it passed, and what it said (the exec's
// output, or the handler's message).
struct ProbeCheck {
  bool success = false;
  std::string message;
};

// Where a network probe goes: the pod's IP and the container (its ports
// name the probe's named port).
struct ProbeTarget {
  std::string pod_ip;
  const minik8s::core::v1::Container* container = nullptr;
};

// The port a probe's IntOrString names: a number, or the name of one of the
// container's ports. nullopt when the name is not found.
std::optional<int> ResolveProbePort(const minik8s::meta::v1::IntOrString& port,
                                    const minik8s::core::v1::Container* container);

// Runs one check of `spec` on container `container_id` of the pod at
// `target`. A probe with no handler passes. On a pod address that is real
// the kubelet's own check must pass and then the runtime's simulated
// failure modes (MINIK8S_SIM_READINESS and the like, asked through Probe)
// still apply. A non-OK status is the runtime call's own error (the
// caller decides whether the runtime is unreachable or the check simply
// failed); a command that ran and exited non-zero, or a handler that
// answered failure, is a ProbeCheck with success false.
absl::StatusOr<ProbeCheck> RunProbe(runtime::RuntimeClient* runtime,
                                    const std::string& container_id,
                                    const minik8s::core::v1::Probe& spec, ProbeKind kind,
                                    absl::Duration timeout, const ProbeTarget& target);

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_PROBER_H_
