// The well-known labels and annotations of the Deployment machinery, shared
// by the deployment controller and mkctl's `rollout` (as Kubernetes keeps
// them in k8s.io/api/apps/v1 and the deployment util packages).
//
// Thread safety: constants and a pure function.
#ifndef MINIK8S_API_DEPLOYMENT_ANNOTATIONS_H_
#define MINIK8S_API_DEPLOYMENT_ANNOTATIONS_H_

#include <string_view>

namespace minik8s::api {

inline constexpr char kRevisionAnnotation[] = "deployment.kubernetes.io/revision";
inline constexpr char kRevisionHistoryAnnotation[] = "deployment.kubernetes.io/revision-history";
inline constexpr char kDesiredReplicasAnnotation[] = "deployment.kubernetes.io/desired-replicas";
inline constexpr char kMaxReplicasAnnotation[] = "deployment.kubernetes.io/max-replicas";
inline constexpr char kDeprecatedRollbackToAnnotation[] = "deprecated.deployment.rollback.to";
inline constexpr char kLastAppliedAnnotation[] = "kubectl.kubernetes.io/last-applied-configuration";
inline constexpr char kChangeCauseAnnotation[] = "kubernetes.io/change-cause";
inline constexpr char kPodTemplateHashLabel[] = "pod-template-hash";

// Annotations that belong to one object's rollout bookkeeping: the
// controller does not copy them from a Deployment to its ReplicaSets, and
// `rollout undo` does not copy them from a ReplicaSet back to the Deployment.
inline bool IsRolloutBookkeepingAnnotation(std::string_view key) {
  return key == kLastAppliedAnnotation || key == kRevisionAnnotation ||
         key == kRevisionHistoryAnnotation || key == kDesiredReplicasAnnotation ||
         key == kMaxReplicasAnnotation || key == kDeprecatedRollbackToAnnotation;
}

}  // namespace minik8s::api

#endif  // MINIK8S_API_DEPLOYMENT_ANNOTATIONS_H_
