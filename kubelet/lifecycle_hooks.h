// Container lifecycle hooks, run as Kubernetes' kubelet runs them
// (pkg/kubelet/lifecycle/handlers.go):
//
//   - exec: the command in the container (CRI ExecSync); it fails when it
//     cannot run or exits non-zero;
//   - httpGet: one GET to host (default: the pod's IP) and port; any HTTP
//     answer is a success, only a failed connection is a failure. On a pod
//     address that is not real (scale mode's 10.x pods) there is nobody to
//     ask, and the hook succeeds, as the runtime's simulated probes do;
//   - sleep: waits `seconds` on the clock;
//   - tcpSocket (kept for old objects) or no action: fails, "Cannot run
//     handler".
//
// The caller decides what a failure means: a postStart failure kills the
// container (FailedPostStartHook), a preStop failure is an Event
// (FailedPreStopHook) and the stop goes on. The returned message is the one
// Kubernetes puts in those Events.
//
// Blocks the calling thread for as long as the hook runs, at most
// `timeout` (Infinite: no limit). Thread-safe as far as the RuntimeClient
// and Clock are.
#ifndef MINIK8S_KUBELET_LIFECYCLE_HOOKS_H_
#define MINIK8S_KUBELET_LIFECYCLE_HOOKS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/clock.h"
#include "k8s/core/v1/core.pb.h"
#include "runtime/runtime_client.h"

namespace minik8s::kubelet {

struct HookTarget {
  const minik8s::core::v1::Pod* pod = nullptr;
  const minik8s::core::v1::Container* container = nullptr;
  std::string container_id;
  std::string pod_ip;
};

// nullopt when the hook succeeded; otherwise why it failed, worded as
// Kubernetes' Event message.
std::optional<std::string> RunLifecycleHook(runtime::RuntimeClient* runtime, common::Clock* clock,
                                            const minik8s::core::v1::LifecycleHandler& handler,
                                            const HookTarget& target, absl::Duration timeout);

// `d` in whole seconds, rounded up (at least 0), as the CRI's timeouts
// and grace periods count.
int64_t CeilSeconds(absl::Duration d);

// "name_namespace(uid)", as Kubernetes names a pod in kubelet messages.
std::string PodForMessages(const minik8s::core::v1::Pod& pod);

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_LIFECYCLE_HOOKS_H_
