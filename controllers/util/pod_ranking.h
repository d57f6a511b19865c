// Which pods a ReplicaSet deletes first when it scales down (Kubernetes'
// ActivePodsWithRanks and getPodsToDelete, LogarithmicScaleDown on).
//
// A pod sorts earlier (is deleted sooner) when, in this order:
//   1. it is unassigned and the other is assigned;
//   2. its phase is earlier in Pending < Unknown < Running;
//   3. it is not ready and the other is;
//   4. its `controller.kubernetes.io/pod-deletion-cost` is lower;
//   5. its rank is higher (more related pods on the same node);
//   6. both ready: it became ready more recently (compared in log2 buckets
//      of the age; a tie in the bucket is broken by uid);
//   7. it has more container restarts;
//   8. it was created more recently (log2 buckets, then uid).
//
// Thread safety: all functions are pure.
#ifndef MINIK8S_CONTROLLERS_UTIL_POD_RANKING_H_
#define MINIK8S_CONTROLLERS_UTIL_POD_RANKING_H_

#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

using PodPtr = std::shared_ptr<const minik8s::core::v1::Pod>;

inline constexpr char kPodDeletionCostAnnotation[] = "controller.kubernetes.io/pod-deletion-cost";

// The deletion cost (0 when absent or not an int32).
int32_t PodDeletionCost(const minik8s::core::v1::Pod& pod);

// True when `a` (with rank_a) should be deleted before `b`.
bool PodDeletesBefore(const minik8s::core::v1::Pod& a, int rank_a, const minik8s::core::v1::Pod& b,
                      int rank_b, absl::Time now);

// Rank of each pod in `pods`: the number of active `related` pods on the
// same node (the pods of every ReplicaSet of the same owner).
std::vector<int> RankByRelatedPodsOnSameNode(const std::vector<PodPtr>& pods,
                                             const std::vector<PodPtr>& related);

// The `diff` pods of `pods` to delete first.
std::vector<PodPtr> PodsToDelete(const std::vector<PodPtr>& pods,
                                 const std::vector<PodPtr>& related, int diff, absl::Time now);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_UTIL_POD_RANKING_H_
