// NodeResourcesBalancedAllocation: favours nodes whose cpu and memory would
// be used in similar fractions after placing the pod. With f_cpu and f_mem
// the requested/allocatable fractions (capped at 1; a resource with zero
// allocatable is left out), the score is (1 - stddev(fractions)) * 100; for
// two resources stddev = |f_cpu - f_mem| / 2. Uses the actual requests (not
// the non-zero defaults). Kubernetes: noderesources/balanced_allocation.go.
#ifndef MINIK8S_SCHEDULER_PLUGINS_NODE_RESOURCES_BALANCED_ALLOCATION_NODE_RESOURCES_BALANCED_ALLOCATION_H_
#define MINIK8S_SCHEDULER_PLUGINS_NODE_RESOURCES_BALANCED_ALLOCATION_NODE_RESOURCES_BALANCED_ALLOCATION_H_

#include <memory>
#include <string_view>

#include "scheduler/framework/interface.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kNodeResourcesBalancedAllocationName[] = "NodeResourcesBalancedAllocation";

int64_t BalancedAllocationScore(const Resources& pod_request, const NodeInfo& node);

class NodeResourcesBalancedAllocation : public ScorePlugin {
 public:
  std::string_view Name() const override { return kNodeResourcesBalancedAllocationName; }
  int64_t Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const override;
};

std::unique_ptr<Plugin> NewNodeResourcesBalancedAllocation();

}  // namespace minik8s::scheduler::plugins

#endif  // MINIK8S_SCHEDULER_PLUGINS_NODE_RESOURCES_BALANCED_ALLOCATION_NODE_RESOURCES_BALANCED_ALLOCATION_H_
