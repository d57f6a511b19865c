#include "scheduler/plugins/node_affinity/node_affinity.h"

#include <cstdint>

#include "absl/strings/numbers.h"

namespace minik8s::scheduler::plugins {
namespace {

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& values, const std::string& v) {
  for (const auto& x : values) {
    if (x == v) return true;
  }
  return false;
}

}  // namespace

bool MatchLabelRequirement(const minik8s::core::v1::NodeSelectorRequirement& req,
                           const Labels& labels) {
  const std::string& op = req.operator_();
  auto it = labels.find(req.key());
  bool has = it != labels.end();
  if (op == "In") return has && Contains(req.values(), it->second);
  if (op == "NotIn") return !has || !Contains(req.values(), it->second);
  if (op == "Exists") return has && req.values().empty();
  if (op == "DoesNotExist") return !has && req.values().empty();
  if (op == "Gt" || op == "Lt") {
    if (!has || req.values_size() != 1) return false;
    int64_t want, got;
    if (!absl::SimpleAtoi(req.values(0), &want) || !absl::SimpleAtoi(it->second, &got)) {
      return false;
    }
    return op == "Gt" ? got > want : got < want;
  }
  return false;  // unknown operator
}

bool MatchFieldRequirement(const minik8s::core::v1::NodeSelectorRequirement& req,
                           const Node& node) {
  if (req.key() != "metadata.name") return false;
  const std::string& name = node.metadata().name();
  // Kubernetes accepts exactly one value for field requirements.
  if (req.values_size() != 1) return false;
  if (req.operator_() == "In") return Contains(req.values(), name);
  if (req.operator_() == "NotIn") return !Contains(req.values(), name);
  return false;
}

bool MatchNodeSelectorTerm(const minik8s::core::v1::NodeSelectorTerm& term, const Node& node) {
  if (term.match_expressions().empty() && term.match_fields().empty()) return false;
  for (const auto& req : term.match_expressions()) {
    if (!MatchLabelRequirement(req, node.metadata().labels())) return false;
  }
  for (const auto& req : term.match_fields()) {
    if (!MatchFieldRequirement(req, node)) return false;
  }
  return true;
}

bool MatchNodeSelector(const minik8s::core::v1::NodeSelector& selector, const Node& node) {
  for (const auto& term : selector.node_selector_terms()) {
    if (MatchNodeSelectorTerm(term, node)) return true;
  }
  return false;
}

bool PodMatchesNodeSelectorAndAffinity(const Pod& pod, const Node& node) {
  const auto& labels = node.metadata().labels();
  for (const auto& [k, v] : pod.spec().node_selector()) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  const auto& spec = pod.spec();
  if (spec.has_affinity() && spec.affinity().has_node_affinity() &&
      spec.affinity().node_affinity().has_required_during_scheduling_ignored_during_execution()) {
    return MatchNodeSelector(
        spec.affinity().node_affinity().required_during_scheduling_ignored_during_execution(),
        node);
  }
  return true;
}

int64_t PreferredAffinityScore(const Pod& pod, const Node& node) {
  const auto& spec = pod.spec();
  if (!spec.has_affinity() || !spec.affinity().has_node_affinity()) return 0;
  int64_t score = 0;
  for (const auto& term :
       spec.affinity().node_affinity().preferred_during_scheduling_ignored_during_execution()) {
    if (term.weight() == 0) continue;
    if (MatchNodeSelectorTerm(term.preference(), node)) score += term.weight();
  }
  return score;
}

FilterStatus NodeAffinity::Filter(const CycleState& state, const PodInfo& pod,
                                  const NodeInfo& node) const {
  if (PodMatchesNodeSelectorAndAffinity(pod.get(), *node.node())) return FilterStatus::Success();
  return FilterStatus::Unresolvable(kReasonNodeAffinity);
}

int64_t NodeAffinity::Score(const CycleState& state, const PodInfo& pod,
                            const NodeInfo& node) const {
  return PreferredAffinityScore(pod.get(), *node.node());
}

void NodeAffinity::NormalizeScore(const PodInfo& pod, std::vector<int64_t>& scores) const {
  DefaultNormalizeScore(kMaxNodeScore, /*reverse=*/false, scores);
}

std::unique_ptr<Plugin> NewNodeAffinity() { return std::make_unique<NodeAffinity>(); }

}  // namespace minik8s::scheduler::plugins
