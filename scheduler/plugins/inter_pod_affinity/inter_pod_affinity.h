// InterPodAffinity: spec.affinity.podAffinity and podAntiAffinity, as
// Kubernetes' pkg/scheduler/framework/plugins/interpodaffinity.
//
// A term is about the pods it matches (affinity_terms.h) in a topology
// domain: the nodes that share a value of its topologyKey label.
//
// Filter (required terms), checked in this order on each node:
//   - podAffinity: the node has every term's topologyKey, and each term's
//     domain holds a pod that matches all the terms. When no pod anywhere
//     matches them, a pod that matches its own terms may go anywhere with
//     the keys (the first of a group). Otherwise unresolvable: "node(s)
//     didn't match pod affinity rules".
//   - podAntiAffinity: no term's domain holds a pod it matches: "node(s)
//     didn't match pod anti-affinity rules".
//   - the anti-affinity of pods already placed: no placed pod whose
//     required anti-affinity term matches the incoming pod is in that
//     term's domain: "node(s) didn't satisfy existing pods anti-affinity
//     rules".
// Score (preferred terms): per domain, the incoming pod's preferred
// affinity weights for the pods there, minus its preferred anti-affinity
// weights; plus, for pods already placed whose terms match the incoming
// pod, 1 per required affinity term (Kubernetes' hardPodAffinityWeight)
// and their preferred weights (anti-affinity subtracted). A node scores the
// sum over the domains it is in, mapped linearly from [min, max] to
// [0, 100].
#ifndef MINIK8S_SCHEDULER_PLUGINS_INTER_POD_AFFINITY_INTER_POD_AFFINITY_H_
#define MINIK8S_SCHEDULER_PLUGINS_INTER_POD_AFFINITY_INTER_POD_AFFINITY_H_

#include <memory>
#include <string_view>
#include <vector>

#include "scheduler/framework/interface.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kInterPodAffinityName[] = "InterPodAffinity";
inline constexpr char kReasonAffinityRules[] = "node(s) didn't match pod affinity rules";
inline constexpr char kReasonAntiAffinityRules[] = "node(s) didn't match pod anti-affinity rules";
inline constexpr char kReasonExistingAntiAffinityRules[] =
    "node(s) didn't satisfy existing pods anti-affinity rules";

class InterPodAffinity : public FilterPlugin,
                         public PreFilterPlugin,
                         public ScorePlugin,
                         public PreScorePlugin {
 public:
  std::string_view Name() const override { return kInterPodAffinityName; }
  FilterStatus PreFilter(const PodInfo& pod, const Snapshot& snapshot,
                         CycleState* state) const override;
  FilterStatus Filter(const CycleState& state, const PodInfo& pod,
                      const NodeInfo& node) const override;
  bool PreScore(const PodInfo& pod, const std::vector<const NodeInfo*>& feasible,
                const Snapshot& snapshot, CycleState* state) const override;
  int64_t Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const override;
  void NormalizeScore(const PodInfo& pod, std::vector<int64_t>& scores) const override;
};

std::unique_ptr<Plugin> NewInterPodAffinity();

}  // namespace minik8s::scheduler::plugins

#endif  // MINIK8S_SCHEDULER_PLUGINS_INTER_POD_AFFINITY_INTER_POD_AFFINITY_H_
