// ReplicaSet status from its active pods (Kubernetes' calculateStatus in
// pkg/controller/replicaset/replica_set_utils.go).
//
//   replicas              active pods the ReplicaSet owns
//   fullyLabeledReplicas  those whose labels include all template labels
//   readyReplicas         those with Ready=True
//   availableReplicas     those ready for at least spec.minReadySeconds
//   conditions            ReplicaFailure=True (reason FailedCreate or
//                         FailedDelete, message = the error) while creating
//                         or deleting fails; removed once it works again
// observedGeneration is set when the status is written.
//
// Thread safety: pure functions.
#ifndef MINIK8S_CONTROLLERS_REPLICASET_REPLICA_SET_STATUS_H_
#define MINIK8S_CONTROLLERS_REPLICASET_REPLICA_SET_STATUS_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

// `manage_error`: the error of this sync's creates/deletes (OK if none);
// `diff` < 0 means it was creating.
minik8s::apps::v1::ReplicaSetStatus CalculateReplicaSetStatus(
    const minik8s::apps::v1::ReplicaSet& rs,
    const std::vector<std::shared_ptr<const minik8s::core::v1::Pod>>& pods,
    const absl::Status& manage_error, int diff, absl::Time now);

// True when `a` and `b` carry the same counts, observedGeneration and
// conditions (what decides whether the status needs writing).
bool ReplicaSetStatusEqual(const minik8s::apps::v1::ReplicaSetStatus& a,
                           const minik8s::apps::v1::ReplicaSetStatus& b);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_REPLICASET_REPLICA_SET_STATUS_H_
