// NodeName: a pod that names a node (spec.nodeName) fits only that node.
// Kubernetes: pkg/scheduler/framework/plugins/nodename.
#ifndef MINIK8S_SCHEDULER_PLUGINS_NODE_NAME_NODE_NAME_H_
#define MINIK8S_SCHEDULER_PLUGINS_NODE_NAME_NODE_NAME_H_

#include <memory>
#include <string_view>

#include "scheduler/framework/interface.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kNodeNameName[] = "NodeName";
inline constexpr char kReasonNodeName[] = "node(s) didn't match the requested node name";

bool NodeNameFits(const Pod& pod, const Node& node);

class NodeName : public FilterPlugin {
 public:
  std::string_view Name() const override { return kNodeNameName; }
  FilterStatus Filter(const CycleState& state, const PodInfo& pod,
                      const NodeInfo& node) const override;
};

std::unique_ptr<Plugin> NewNodeName();

}  // namespace minik8s::scheduler::plugins

#endif  // MINIK8S_SCHEDULER_PLUGINS_NODE_NAME_NODE_NAME_H_
