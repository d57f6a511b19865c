// Pod status computation: what the kubelet reports for a pod, derived from
// what it knows about the pod's containers (pkg/kubelet/kubelet_pods.go:
// getPhase, generateAPIPodStatus; pkg/kubelet/status/generate.go). Pure
// functions of their inputs, so the rules are table-tested without a
// runtime or an apiserver.
//
//   phase       Pending while init containers have not all completed or a
//               container waits without having run; Running while a
//               container runs (or is being restarted); Succeeded when every
//               container exited 0 and none will restart; Failed when one
//               exited non-zero and will not restart.
//   conditions  PodReadyToStartContainers, Initialized, ContainersReady,
//               Ready, PodScheduled — each keeps its lastTransitionTime from
//               the previous status while its status does not change. The
//               conditions others own (a readiness gate's, set through
//               pods/status) are kept as the apiserver has them, first, as
//               Kubernetes' kubelet keeps them; Ready is True only when the
//               containers are ready and every readiness gate's condition
//               is True (reason ReadinessGatesNotReady otherwise).
//
// Thread-compatible (pure).
#ifndef MINIK8S_KUBELET_POD_STATUS_H_
#define MINIK8S_KUBELET_POD_STATUS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubelet {

// A terminated container instance.
struct TerminatedView {
  int exit_code = 0;
  std::string reason;  // Completed, Error, OOMKilled
  std::string message;
  absl::Time started_at;
  absl::Time finished_at;
  std::string container_id;  // runtime id, without the "minik8s://" scheme
};

// What the kubelet knows about one container of the pod spec.
struct ContainerView {
  enum class State { kWaiting, kRunning, kTerminated };
  std::string name;
  std::string image;  // as the spec names it
  State state = State::kWaiting;
  // kWaiting: reason (ContainerCreating, CrashLoopBackOff, ErrImagePull, ...)
  // and message.
  std::string waiting_reason = "ContainerCreating";
  std::string waiting_message;
  // kRunning: the current instance.
  absl::Time started_at;
  std::string container_id;
  std::string image_id;
  // kTerminated: the current instance.
  TerminatedView terminated;
  std::optional<TerminatedView> last_terminated;
  int restart_count = 0;
  bool ready = false;
  bool started = false;
};

struct PodStatusInput {
  // Borrowed for the call: the spec, and the status last reported (for
  // PodScheduled and transition times).
  const minik8s::core::v1::Pod* pod = nullptr;
  // Borrowed for the call: the status as the apiserver has it (the
  // informer's copy), whose conditions the kubelet does not own are kept;
  // null: pod->status().
  const minik8s::core::v1::PodStatus* api_status = nullptr;
  std::vector<ContainerView> init_containers;  // in spec order
  std::vector<ContainerView> containers;       // in spec order
  bool sandbox_ready = false;
  std::string pod_ip;
  std::string host_ip;
  absl::Time start_time;
  absl::Time now;
};

// "Always" (also for ""), "OnFailure" or "Never".
std::string RestartPolicyOf(const minik8s::core::v1::PodSpec& spec);
// Whether a container that exited with `exit_code` is restarted.
bool ShouldRestart(const std::string& restart_policy, int exit_code);
// The container's imagePullPolicy, or Kubernetes' default when unset:
// Always for a ":latest" or untagged image (no digest), else IfNotPresent.
std::string ImagePullPolicyOf(const minik8s::core::v1::Container& container);

std::string ComputePhase(const minik8s::core::v1::PodSpec& spec,
                         const std::vector<ContainerView>& init_containers,
                         const std::vector<ContainerView>& containers);

// BestEffort, Burstable or Guaranteed.
std::string QosClassOf(const minik8s::core::v1::PodSpec& spec);

// Whether the kubelet owns (computes and writes) pod conditions of `type`:
// PodScheduled, PodReadyToStartContainers, Initialized, ContainersReady,
// Ready. Others are written by someone else and kept as they are.
bool PodConditionByKubelet(std::string_view type);

minik8s::core::v1::ContainerStatus ToContainerStatus(const ContainerView& view);

minik8s::core::v1::PodStatus ComputePodStatus(const PodStatusInput& in);

// Equal up to field order (the last status vs a newly computed one).
bool SameStatus(const minik8s::core::v1::PodStatus& a, const minik8s::core::v1::PodStatus& b);

inline constexpr char kContainerIdScheme[] = "minik8s://";

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_POD_STATUS_H_
