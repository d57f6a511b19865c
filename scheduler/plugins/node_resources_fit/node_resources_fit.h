// NodeResourcesFit: the pod's effective requests must fit in the node's
// allocatable minus what the pods counted on it (bound or assumed) request,
// and the node's pod count must stay within allocatable "pods". Kubernetes:
// pkg/scheduler/framework/plugins/noderesources/fit.go (fitsRequest): pod
// count first, then cpu, memory, ephemeral-storage; every failing resource
// is a reason ("Too many pods", "Insufficient cpu", ...).
#ifndef MINIK8S_SCHEDULER_PLUGINS_NODE_RESOURCES_FIT_NODE_RESOURCES_FIT_H_
#define MINIK8S_SCHEDULER_PLUGINS_NODE_RESOURCES_FIT_NODE_RESOURCES_FIT_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/framework/interface.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kNodeResourcesFitName[] = "NodeResourcesFit";
inline constexpr char kReasonTooManyPods[] = "Too many pods";

// The reasons `requests` does not fit on `node` (empty: it fits).
std::vector<std::string> InsufficientResources(const Resources& requests, const NodeInfo& node);

class NodeResourcesFit : public FilterPlugin {
 public:
  std::string_view Name() const override { return kNodeResourcesFitName; }
  FilterStatus Filter(const CycleState& state, const PodInfo& pod,
                      const NodeInfo& node) const override;
};

std::unique_ptr<Plugin> NewNodeResourcesFit();

}  // namespace minik8s::scheduler::plugins

#endif  // MINIK8S_SCHEDULER_PLUGINS_NODE_RESOURCES_FIT_NODE_RESOURCES_FIT_H_
