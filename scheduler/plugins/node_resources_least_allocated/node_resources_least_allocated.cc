#include "scheduler/plugins/node_resources_least_allocated/node_resources_least_allocated.h"

namespace minik8s::scheduler::plugins {

int64_t LeastRequestedScore(int64_t requested, int64_t allocatable) {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return (allocatable - requested) * kMaxNodeScore / allocatable;
}

int64_t LeastAllocatedScore(const Resources& pod_request, const NodeInfo& node) {
  const Resources& used = node.non_zero_requested();
  const Resources& alloc = node.allocatable();
  int64_t cpu = LeastRequestedScore(used.milli_cpu + pod_request.milli_cpu, alloc.milli_cpu);
  int64_t mem = LeastRequestedScore(used.memory + pod_request.memory, alloc.memory);
  return (cpu + mem) / 2;
}

int64_t NodeResourcesLeastAllocated::Score(const CycleState& state, const PodInfo& pod,
                                           const NodeInfo& node) const {
  return LeastAllocatedScore(pod.non_zero_requests, node);
}

std::unique_ptr<Plugin> NewNodeResourcesLeastAllocated() {
  return std::make_unique<NodeResourcesLeastAllocated>();
}

}  // namespace minik8s::scheduler::plugins
