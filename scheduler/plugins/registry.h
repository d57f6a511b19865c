// The registry of every plugin the scheduler knows, by name, and the default
// profile (which filters run, in order, and which scores with what weight).
// Defaults mirror Kubernetes' default_plugins.go where a plugin exists here:
// filters NodeUnschedulable, NodeName, TaintToleration, NodeAffinity,
// NodeResourcesFit, PodTopologySpread, InterPodAffinity; scores
// TaintToleration 3,
// NodeAffinity 2, NodeResourcesLeastAllocated 1 (NodeResourcesFit's
// LeastAllocated strategy), SelectorSpread 2 (PodTopologySpread's default
// constraints, for pods without constraints of their own),
// PodTopologySpread 2 (the pod's ScheduleAnyway constraints),
// InterPodAffinity 2, NodeResourcesBalancedAllocation 1.
//
// Thread safety: immutable after static initialization.
#ifndef MINIK8S_SCHEDULER_PLUGINS_REGISTRY_H_
#define MINIK8S_SCHEDULER_PLUGINS_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scheduler/framework/interface.h"

namespace minik8s::scheduler::plugins {

using PluginFactory = std::function<std::unique_ptr<Plugin>()>;

const std::map<std::string, PluginFactory>& Registry();

struct WeightedPlugin {
  std::string name;
  int64_t weight = 1;
};

std::vector<std::string> DefaultFilterPlugins();
std::vector<WeightedPlugin> DefaultScorePlugins();

}  // namespace minik8s::scheduler::plugins

#endif  // MINIK8S_SCHEDULER_PLUGINS_REGISTRY_H_
