// Pod admission: whether the kubelet runs a pod bound to its node at all, as
// Kubernetes' kubelet decides when a pod first reaches it
// (pkg/kubelet/lifecycle/predicate.go). minik8s checks the pod's OS: a pod
// whose spec.os.name is not the node's OS (minik8s' nodes are linux) is
// rejected with reason PodOSNotSupported. A rejected pod is never started:
// its status becomes phase Failed with the reason and
// "Pod was rejected: <message>" (kubelet rejectPod), a Warning Event says
// why, and being Failed it is not run later either.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBELET_ADMISSION_H_
#define MINIK8S_KUBELET_ADMISSION_H_

#include <string>
#include <string_view>

#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubelet {

// The OS of every node a minik8s kubelet runs.
inline constexpr char kNodeOS[] = "linux";

struct PodAdmitResult {
  bool admit = true;
  std::string reason;   // CamelCase, when refused
  std::string message;  // for the Event and the pod's status
};

// Whether a node running `node_os` admits `pod`.
PodAdmitResult AdmitPod(const minik8s::core::v1::Pod& pod, std::string_view node_os = kNodeOS);

// The status the kubelet writes for a pod it rejected with `result`:
// phase Failed, its reason and message, the QoS class and the conditions
// others own kept.
minik8s::core::v1::PodStatus RejectedPodStatus(const minik8s::core::v1::Pod& pod,
                                               const PodAdmitResult& result);

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_ADMISSION_H_
