#include "scheduler/plugins/node_unschedulable/node_unschedulable.h"

#include "scheduler/plugins/taint_toleration/taint_toleration.h"

namespace minik8s::scheduler::plugins {

bool AllowedOnUnschedulable(const Pod& pod, const Node& node) {
  if (!node.spec().unschedulable()) return true;
  minik8s::core::v1::Taint taint;
  taint.set_key(kTaintNodeUnschedulable);
  taint.set_effect(kEffectNoSchedule);
  return TaintToleratedByTolerations(taint, pod.spec().tolerations());
}

FilterStatus NodeUnschedulable::Filter(const CycleState& state, const PodInfo& pod,
                                       const NodeInfo& node) const {
  if (AllowedOnUnschedulable(pod.get(), *node.node())) return FilterStatus::Success();
  return FilterStatus::Unresolvable(kReasonNodeUnschedulable);
}

std::unique_ptr<Plugin> NewNodeUnschedulable() { return std::make_unique<NodeUnschedulable>(); }

}  // namespace minik8s::scheduler::plugins
