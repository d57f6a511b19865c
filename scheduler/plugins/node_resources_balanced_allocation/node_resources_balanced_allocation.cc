#include "scheduler/plugins/node_resources_balanced_allocation/node_resources_balanced_allocation.h"

#include <cmath>
#include <vector>

namespace minik8s::scheduler::plugins {

int64_t BalancedAllocationScore(const Resources& pod_request, const NodeInfo& node) {
  const Resources& used = node.requested();
  const Resources& alloc = node.allocatable();
  std::vector<double> fractions;
  auto add = [&](int64_t requested, int64_t allocatable) {
    if (allocatable <= 0) return;
    double f = static_cast<double>(requested) / static_cast<double>(allocatable);
    fractions.push_back(f > 1 ? 1 : f);
  };
  add(used.milli_cpu + pod_request.milli_cpu, alloc.milli_cpu);
  add(used.memory + pod_request.memory, alloc.memory);
  double std_dev = 0;
  if (fractions.size() == 2) {
    std_dev = std::fabs(fractions[0] - fractions[1]) / 2;
  } else if (fractions.size() > 2) {
    double mean = 0;
    for (double f : fractions) mean += f;
    mean /= fractions.size();
    double var = 0;
    for (double f : fractions) var += (f - mean) * (f - mean);
    std_dev = std::sqrt(var / fractions.size());
  }
  return static_cast<int64_t>((1 - std_dev) * static_cast<double>(kMaxNodeScore));
}

int64_t NodeResourcesBalancedAllocation::Score(const CycleState& state, const PodInfo& pod,
                                               const NodeInfo& node) const {
  return BalancedAllocationScore(pod.requests, node);
}

std::unique_ptr<Plugin> NewNodeResourcesBalancedAllocation() {
  return std::make_unique<NodeResourcesBalancedAllocation>();
}

}  // namespace minik8s::scheduler::plugins
