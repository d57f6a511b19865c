// NodeAffinity: filters nodes by the pod's spec.nodeSelector and its
// required node affinity, and scores nodes by the summed weights of the
// preferred node affinity terms they match. Kubernetes:
// pkg/scheduler/framework/plugins/nodeaffinity and
// component-helpers/scheduling/corev1/nodeaffinity.
//
// Matching rules:
//   - nodeSelector: every key=value must be among the node's labels;
//   - required terms are ORed; inside a term matchExpressions and
//     matchFields are ANDed; a term with neither matches nothing, and an
//     empty term list matches nothing;
//   - matchExpressions: In, NotIn, Exists, DoesNotExist, Gt, Lt (Gt/Lt take
//     exactly one integer value and compare it with the label parsed as an
//     integer; anything unparsable does not match);
//   - matchFields: only metadata.name with In / NotIn.
#ifndef MINIK8S_SCHEDULER_PLUGINS_NODE_AFFINITY_NODE_AFFINITY_H_
#define MINIK8S_SCHEDULER_PLUGINS_NODE_AFFINITY_NODE_AFFINITY_H_

#include <memory>
#include <string_view>

#include "google/protobuf/map.h"
#include "scheduler/framework/interface.h"

namespace minik8s::scheduler::plugins {

inline constexpr char kNodeAffinityName[] = "NodeAffinity";
inline constexpr char kReasonNodeAffinity[] = "node(s) didn't match Pod's node affinity/selector";

using Labels = google::protobuf::Map<std::string, std::string>;

bool MatchLabelRequirement(const minik8s::core::v1::NodeSelectorRequirement& req,
                           const Labels& labels);
bool MatchFieldRequirement(const minik8s::core::v1::NodeSelectorRequirement& req, const Node& node);
bool MatchNodeSelectorTerm(const minik8s::core::v1::NodeSelectorTerm& term, const Node& node);
bool MatchNodeSelector(const minik8s::core::v1::NodeSelector& selector, const Node& node);
// nodeSelector and required node affinity together (the Filter decision).
bool PodMatchesNodeSelectorAndAffinity(const Pod& pod, const Node& node);
// Sum of the weights of preferred terms that `node` matches.
int64_t PreferredAffinityScore(const Pod& pod, const Node& node);

class NodeAffinity : public FilterPlugin, public ScorePlugin {
 public:
  std::string_view Name() const override { return kNodeAffinityName; }
  FilterStatus Filter(const CycleState& state, const PodInfo& pod,
                      const NodeInfo& node) const override;
  int64_t Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const override;
  void NormalizeScore(const PodInfo& pod, std::vector<int64_t>& scores) const override;
};

std::unique_ptr<Plugin> NewNodeAffinity();

}  // namespace minik8s::scheduler::plugins

#endif  // MINIK8S_SCHEDULER_PLUGINS_NODE_AFFINITY_NODE_AFFINITY_H_
