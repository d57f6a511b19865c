// NodeUnschedulable: filters out nodes with spec.unschedulable (cordoned),
// unless the pod tolerates the node.kubernetes.io/unschedulable:NoSchedule
// taint. Kubernetes: pkg/scheduler/framework/plugins/nodeunschedulable.
#ifndef MINIK8S_SCHEDULER_PLUGINS_NODE_UNSCHEDULABLE_NODE_UNSCHEDULABLE_H_
#define MINIK8S_SCHEDULER_PLUGINS_NODE_UNSCHEDULABLE_NODE_UNSCHEDULABLE_H_

#include <memory>
#include <string_view>

#include "scheduler/framework/interface.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kNodeUnschedulableName[] = "NodeUnschedulable";
inline constexpr char kReasonNodeUnschedulable[] = "node(s) were unschedulable";
inline constexpr char kTaintNodeUnschedulable[] = "node.kubernetes.io/unschedulable";

// True when `pod` may be placed on `node` as far as spec.unschedulable goes.
bool AllowedOnUnschedulable(const Pod& pod, const Node& node);

class NodeUnschedulable : public FilterPlugin {
 public:
  std::string_view Name() const override { return kNodeUnschedulableName; }
  FilterStatus Filter(const CycleState& state, const PodInfo& pod,
                      const NodeInfo& node) const override;
};

std::unique_ptr<Plugin> NewNodeUnschedulable();

}  // namespace minik8s::scheduler::plugins

#endif  // MINIK8S_SCHEDULER_PLUGINS_NODE_UNSCHEDULABLE_NODE_UNSCHEDULABLE_H_
