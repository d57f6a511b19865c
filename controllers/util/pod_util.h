// Pod and time predicates shared by the controllers (Kubernetes'
// pkg/api/v1/pod and controller_utils helpers).
//
// Thread safety: all functions are pure.
#ifndef MINIK8S_CONTROLLERS_UTIL_POD_UTIL_H_
#define MINIK8S_CONTROLLERS_UTIL_POD_UTIL_H_

#include "absl/time/time.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::controllers {

// An unset meta/v1 Time (Go's zero time) maps to absl::InfinitePast().
absl::Time TimeOrZero(const minik8s::meta::v1::Time& t, bool has);
inline bool IsZero(absl::Time t) { return t == absl::InfinitePast(); }

// Not Succeeded, not Failed, not being deleted.
bool IsPodActive(const minik8s::core::v1::Pod& pod);
// The pod's Ready condition, or nullptr.
const minik8s::core::v1::PodCondition* GetPodReadyCondition(const minik8s::core::v1::Pod& pod);
// Ready condition with status True.
bool IsPodReady(const minik8s::core::v1::Pod& pod);
// Ready for at least min_ready_seconds at `now` (Kubernetes: the Ready
// condition's lastTransitionTime + minReadySeconds is before now).
bool IsPodAvailable(const minik8s::core::v1::Pod& pod, int32_t min_ready_seconds, absl::Time now);
// When the pod became ready, or zero (InfinitePast) when it is not ready.
absl::Time PodReadyTime(const minik8s::core::v1::Pod& pod);
// The largest restartCount of the pod's containers.
int32_t MaxContainerRestarts(const minik8s::core::v1::Pod& pod);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_UTIL_POD_UTIL_H_
