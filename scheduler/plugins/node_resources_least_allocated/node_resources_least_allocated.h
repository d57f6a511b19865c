// NodeResourcesLeastAllocated: Kubernetes' default NodeResourcesFit scoring
// strategy ("LeastAllocated"): nodes with more free cpu and memory after
// placing the pod score higher. Per resource, with the node's non-zero
// requested amount plus the pod's non-zero request:
//   score = (allocatable - requested) * 100 / allocatable
// (0 when allocatable is 0 or requested exceeds it); the node's score is the
// weighted mean over cpu and memory (weights 1 and 1). Already in
// [0, kMaxNodeScore]. Kubernetes: noderesources/least_allocated.go.
#ifndef MINIK8S_SCHEDULER_PLUGINS_NODE_RESOURCES_LEAST_ALLOCATED_NODE_RESOURCES_LEAST_ALLOCATED_H_
#define MINIK8S_SCHEDULER_PLUGINS_NODE_RESOURCES_LEAST_ALLOCATED_NODE_RESOURCES_LEAST_ALLOCATED_H_

#include <memory>
#include <string_view>

#include "scheduler/framework/interface.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kNodeResourcesLeastAllocatedName[] = "NodeResourcesLeastAllocated";

// One resource's score.
int64_t LeastRequestedScore(int64_t requested, int64_t allocatable);
// The node's score for a pod with non-zero request `pod_request`.
int64_t LeastAllocatedScore(const Resources& pod_request, const NodeInfo& node);

class NodeResourcesLeastAllocated : public ScorePlugin {
 public:
  std::string_view Name() const override { return kNodeResourcesLeastAllocatedName; }
  int64_t Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const override;
};

std::unique_ptr<Plugin> NewNodeResourcesLeastAllocated();

}  // namespace minik8s::scheduler::plugins

#endif  // MINIK8S_SCHEDULER_PLUGINS_NODE_RESOURCES_LEAST_ALLOCATED_NODE_RESOURCES_LEAST_ALLOCATED_H_
