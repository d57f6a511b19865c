#include "scheduler/plugins/selector_spread/selector_spread.h"

namespace minik8s::scheduler::plugins {

int64_t SameOwnerPodsOnNode(const PodInfo& pod, const NodeInfo& node) {
  if (pod.owner_uid.empty()) return 0;
  return node.PodsWithOwner(pod.owner_uid);
}

bool SelectorSpread::PreScore(const PodInfo& pod, const std::vector<const NodeInfo*>& feasible,
                              const Snapshot& snapshot, CycleState* state) const {
  return pod.get().spec().topology_spread_constraints().empty();
}

int64_t SelectorSpread::Score(const CycleState& state, const PodInfo& pod,
                              const NodeInfo& node) const {
  return SameOwnerPodsOnNode(pod, node);
}

void SelectorSpread::NormalizeScore(const PodInfo& pod, std::vector<int64_t>& scores) const {
  DefaultNormalizeScore(kMaxNodeScore, /*reverse=*/true, scores);
}

std::unique_ptr<Plugin> NewSelectorSpread() { return std::make_unique<SelectorSpread>(); }

}  // namespace minik8s::scheduler::plugins
