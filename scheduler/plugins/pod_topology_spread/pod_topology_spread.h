// PodTopologySpread: the pod's spec.topologySpreadConstraints, as
// Kubernetes' pkg/scheduler/framework/plugins/podtopologyspread.
//
// A constraint counts the pods its selector matches (labelSelector, plus
// `key in (value)` for each matchLabelKeys key the incoming pod has), in
// the incoming pod's namespace and not being deleted, per topology domain:
// the nodes that share a value of the topologyKey label.
//
//   DoNotSchedule (PreFilter + Filter): domains are counted over the nodes
//     that have every hard constraint's topologyKey and pass the
//     constraint's node inclusion policies (nodeAffinityPolicy Honor, the
//     default: the pod's nodeSelector and required node affinity;
//     nodeTaintsPolicy Honor: its NoSchedule/NoExecute taints tolerated).
//     A node is rejected when placing the pod there would make
//     count(domain) + self - min(count over eligible domains) > maxSkew,
//     where self is 1 if the pod matches the selector; with minDomains set
//     and fewer eligible domains, the minimum is taken as 0. A node without
//     the topologyKey label is rejected as unresolvable.
//   ScheduleAnyway (PreScore + Score): each feasible node scores
//     sum over constraints of count(domain) * log(domains + 2) + maxSkew - 1
//     (the node's own count for kubernetes.io/hostname); fewer matching
//     pods is better after normalizing. Feasible nodes missing a topology
//     key score 0.
//
// Pods without constraints are left to SelectorSpread (the default
// spreading of a controller's pods); this plugin then does nothing.
#ifndef MINIK8S_SCHEDULER_PLUGINS_POD_TOPOLOGY_SPREAD_POD_TOPOLOGY_SPREAD_H_
#define MINIK8S_SCHEDULER_PLUGINS_POD_TOPOLOGY_SPREAD_POD_TOPOLOGY_SPREAD_H_

#include <memory>
#include <string_view>
#include <vector>

#include "scheduler/framework/interface.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kPodTopologySpreadName[] = "PodTopologySpread";
inline constexpr char kReasonTopologySpread[] =
    "node(s) didn't match pod topology spread constraints";
inline constexpr char kReasonTopologySpreadLabel[] =
    "node(s) didn't match pod topology spread constraints (missing required label)";

class PodTopologySpread : public FilterPlugin,
                          public PreFilterPlugin,
                          public ScorePlugin,
                          public PreScorePlugin {
 public:
  std::string_view Name() const override { return kPodTopologySpreadName; }
  FilterStatus PreFilter(const PodInfo& pod, const Snapshot& snapshot,
                         CycleState* state) const override;
  FilterStatus Filter(const CycleState& state, const PodInfo& pod,
                      const NodeInfo& node) const override;
  bool PreScore(const PodInfo& pod, const std::vector<const NodeInfo*>& feasible,
                const Snapshot& snapshot, CycleState* state) const override;
  // A node that misses a topology key scores a raw -1, which
  // NormalizeScore maps to 0 and leaves out of the minimum and maximum.
  int64_t Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const override;
  void NormalizeScore(const PodInfo& pod, std::vector<int64_t>& scores) const override;
};

std::unique_ptr<Plugin> NewPodTopologySpread();

}  // namespace minik8s::scheduler::plugins

#endif  // MINIK8S_SCHEDULER_PLUGINS_POD_TOPOLOGY_SPREAD_POD_TOPOLOGY_SPREAD_H_
