#include "scheduler/plugins/registry.h"

#include "scheduler/plugins/inter_pod_affinity/inter_pod_affinity.h"
#include "scheduler/plugins/node_affinity/node_affinity.h"
#include "scheduler/plugins/node_name/node_name.h"
#include "scheduler/plugins/node_resources_balanced_allocation/node_resources_balanced_allocation.h"
#include "scheduler/plugins/node_resources_fit/node_resources_fit.h"
#include "scheduler/plugins/node_resources_least_allocated/node_resources_least_allocated.h"
#include "scheduler/plugins/node_unschedulable/node_unschedulable.h"
#include "scheduler/plugins/pod_topology_spread/pod_topology_spread.h"
#include "scheduler/plugins/selector_spread/selector_spread.h"
#include "scheduler/plugins/taint_toleration/taint_toleration.h"

namespace minik8s::scheduler::plugins {

const std::map<std::string, PluginFactory>& Registry() {
  static const auto* registry = new std::map<std::string, PluginFactory>{
      {kNodeUnschedulableName, NewNodeUnschedulable},
      {kNodeNameName, NewNodeName},
      {kTaintTolerationName, NewTaintToleration},
      {kNodeAffinityName, NewNodeAffinity},
      {kNodeResourcesFitName, NewNodeResourcesFit},
      {kNodeResourcesLeastAllocatedName, NewNodeResourcesLeastAllocated},
      {kNodeResourcesBalancedAllocationName, NewNodeResourcesBalancedAllocation},
      {kSelectorSpreadName, NewSelectorSpread},
      {kPodTopologySpreadName, NewPodTopologySpread},
      {kInterPodAffinityName, NewInterPodAffinity},
  };
  return *registry;
}

std::vector<std::string> DefaultFilterPlugins() {
  return {kNodeUnschedulableName, kNodeNameName,          kTaintTolerationName, kNodeAffinityName,
          kNodeResourcesFitName,  kPodTopologySpreadName, kInterPodAffinityName};
}

std::vector<WeightedPlugin> DefaultScorePlugins() {
  return {{kTaintTolerationName, 3},
          {kNodeAffinityName, 2},
          {kNodeResourcesLeastAllocatedName, 1},
          {kSelectorSpreadName, 2},
          {kPodTopologySpreadName, 2},
          {kInterPodAffinityName, 2},
          {kNodeResourcesBalancedAllocationName, 1}};
}

}  // namespace minik8s::scheduler::plugins
