#include "scheduler/plugins/node_name/node_name.h"

namespace minik8s::scheduler::plugins {

bool NodeNameFits(const Pod& pod, const Node& node) {
  return pod.spec().node_name().empty() || pod.spec().node_name() == node.metadata().name();
}

FilterStatus NodeName::Filter(const CycleState& state, const PodInfo& pod,
                              const NodeInfo& node) const {
  if (NodeNameFits(pod.get(), *node.node())) return FilterStatus::Success();
  return FilterStatus::Unresolvable(kReasonNodeName);
}

std::unique_ptr<Plugin> NewNodeName() { return std::make_unique<NodeName>(); }

}  // namespace minik8s::scheduler::plugins
