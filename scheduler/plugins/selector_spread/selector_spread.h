// SelectorSpread: spreads the pods of one controller (the ownerReference with
// controller=true: a ReplicaSet, ...) across nodes, i.e. topology spreading
// by hostname. The raw score is the number of pods with the same owner
// already counted on the node (kept per node by the cache, so no pod scan);
// normalized as 100 * (max - count) / max, so the emptiest nodes get 100. Pods
// without a controller score 100 everywhere. A pod with topology spread
// constraints of its own is skipped: Kubernetes applies its default
// spreading only to pods without any (PodTopologySpread scores the pod's
// own). Kubernetes: the former SelectorSpread plugin / PodTopologySpread's
// default hostname constraint.
#ifndef MINIK8S_SCHEDULER_PLUGINS_SELECTOR_SPREAD_SELECTOR_SPREAD_H_
#define MINIK8S_SCHEDULER_PLUGINS_SELECTOR_SPREAD_SELECTOR_SPREAD_H_

#include <memory>
#include <string_view>
#include <vector>

#include "scheduler/framework/interface.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kSelectorSpreadName[] = "SelectorSpread";

int64_t SameOwnerPodsOnNode(const PodInfo& pod, const NodeInfo& node);

class SelectorSpread : public ScorePlugin, public PreScorePlugin {
 public:
  std::string_view Name() const override { return kSelectorSpreadName; }
  bool PreScore(const PodInfo& pod, const std::vector<const NodeInfo*>& feasible,
                const Snapshot& snapshot, CycleState* state) const override;
  int64_t Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const override;
  void NormalizeScore(const PodInfo& pod, std::vector<int64_t>& scores) const override;
};

std::unique_ptr<Plugin> NewSelectorSpread();

}  // namespace minik8s::scheduler::plugins

#endif  // MINIK8S_SCHEDULER_PLUGINS_SELECTOR_SPREAD_SELECTOR_SPREAD_H_
