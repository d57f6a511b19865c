#include "scheduler/plugins/pod_topology_spread/pod_topology_spread.h"

#include <climits>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "api/selector/labels.h"
#include "scheduler/plugins/node_affinity/node_affinity.h"
#include "scheduler/plugins/taint_toleration/taint_toleration.h"

namespace minik8s::scheduler::plugins {
namespace {

constexpr char kHostnameLabel[] = "kubernetes.io/hostname";
constexpr std::string_view kPreFilterKey = "PodTopologySpread/prefilter";
constexpr std::string_view kPreScoreKey = "PodTopologySpread/prescore";
constexpr int64_t kIgnored = -1;

struct Constraint {
  int32_t max_skew = 1;
  std::string topology_key;
  std::optional<int32_t> min_domains;
  bool honor_node_affinity = true;
  bool honor_taints = false;
  api::LabelSelector selector;
};

// The pod's constraints with `action` (DoNotSchedule or ScheduleAnyway),
// their selectors built as Kubernetes' filterTopologySpreadConstraints
// does. A selector that does not parse (validation refuses those) matches
// nothing.
std::vector<Constraint> ConstraintsWith(const Pod& pod, std::string_view action) {
  std::vector<Constraint> out;
  const auto& labels = pod.metadata().labels();
  for (const auto& c : pod.spec().topology_spread_constraints()) {
    if (c.when_unsatisfiable() != action) continue;
    Constraint k;
    k.max_skew = c.max_skew();
    k.topology_key = c.topology_key();
    if (c.has_min_domains()) k.min_domains = c.min_domains();
    k.honor_node_affinity = !c.has_node_affinity_policy() || c.node_affinity_policy() == "Honor";
    k.honor_taints = c.has_node_taints_policy() && c.node_taints_policy() == "Honor";
    auto selector = api::LabelSelector::FromProtoOrNothing(
        c.has_label_selector() ? &c.label_selector() : nullptr);
    k.selector = selector.ok() ? *std::move(selector) : api::LabelSelector::Nothing();
    for (const std::string& key : c.match_label_keys()) {
      auto it = labels.find(key);
      if (it == labels.end()) continue;
      auto req =
          api::LabelRequirement::Make(key, api::LabelRequirement::Operator::kIn, {it->second});
      if (req.ok()) k.selector.Add(*std::move(req));
    }
    out.push_back(std::move(k));
  }
  return out;
}

// Kubernetes' countPodsMatchSelector: an empty selector counts nothing.
int64_t CountMatching(const NodeInfo& node, const api::LabelSelector& selector,
                      const std::string& ns) {
  if (selector.Empty()) return 0;
  int64_t n = 0;
  for (const auto& p : node.pods()) {
    if (p->terminating || p->namespace_name != ns) continue;
    if (selector.Matches(p->labels)) ++n;
  }
  return n;
}

bool HasAllKeys(const Node& node, const std::vector<Constraint>& constraints) {
  const auto& labels = node.metadata().labels();
  for (const Constraint& c : constraints) {
    if (!labels.contains(c.topology_key)) return false;
  }
  return true;
}

bool PassesInclusionPolicies(const Constraint& c, const Pod& pod, const Node& node) {
  if (c.honor_node_affinity && !PodMatchesNodeSelectorAndAffinity(pod, node)) return false;
  if (c.honor_taints &&
      FindUntoleratedTaint(node.spec().taints(), pod.spec().tolerations()) != nullptr) {
    return false;
  }
  return true;
}

// Calls fn(i, domain, node) for every node that has each constraint's
// topology key and, per constraint i, passes its node inclusion policies.
template <typename Fn>
void ForEachEligible(const Pod& pod, const Snapshot& snapshot,
                     const std::vector<Constraint>& constraints, Fn fn) {
  for (const NodeInfo& n : snapshot.nodes()) {
    if (n.node() == nullptr || !HasAllKeys(*n.node(), constraints)) continue;
    const auto& labels = n.node()->metadata().labels();
    for (size_t i = 0; i < constraints.size(); ++i) {
      if (!PassesInclusionPolicies(constraints[i], pod, *n.node())) continue;
      fn(i, labels.at(constraints[i].topology_key), n);
    }
  }
}

struct PreFilterState : CycleData {
  std::vector<Constraint> constraints;
  // Per constraint: matching pods per eligible domain (domains with none
  // are present with 0).
  std::vector<absl::flat_hash_map<std::string, int64_t>> counts;
  // Per constraint: the smallest count over its eligible domains.
  std::vector<int64_t> min_count;
};

struct PreScoreState : CycleData {
  std::vector<Constraint> constraints;
  // Per constraint: matching pods per domain of a feasible node (unused
  // for the hostname key, counted per node in Score).
  std::vector<absl::flat_hash_map<std::string, int64_t>> counts;
  std::vector<double> weight;
  absl::flat_hash_set<std::string> ignored;
};

}  // namespace

FilterStatus PodTopologySpread::PreFilter(const PodInfo& pod, const Snapshot& snapshot,
                                          CycleState* state) const {
  std::vector<Constraint> constraints = ConstraintsWith(pod.get(), "DoNotSchedule");
  if (constraints.empty()) return FilterStatus::Success();
  auto s = std::make_unique<PreFilterState>();
  s->counts.resize(constraints.size());
  const std::string& ns = pod.get().metadata().namespace_();
  ForEachEligible(pod.get(), snapshot, constraints,
                  [&](size_t i, const std::string& domain, const NodeInfo& n) {
                    s->counts[i][domain] += CountMatching(n, constraints[i].selector, ns);
                  });
  s->min_count.assign(constraints.size(), INT64_MAX);
  for (size_t i = 0; i < constraints.size(); ++i) {
    for (const auto& [domain, count] : s->counts[i]) {
      s->min_count[i] = std::min(s->min_count[i], count);
    }
  }
  s->constraints = std::move(constraints);
  state->Write(kPreFilterKey, std::move(s));
  return FilterStatus::Success();
}

FilterStatus PodTopologySpread::Filter(const CycleState& state, const PodInfo& pod,
                                       const NodeInfo& node) const {
  const auto* s = state.Read<PreFilterState>(kPreFilterKey);
  if (s == nullptr) return FilterStatus::Success();
  const auto& node_labels = node.node()->metadata().labels();
  const auto& pod_labels = pod.get().metadata().labels();
  for (size_t i = 0; i < s->constraints.size(); ++i) {
    const Constraint& c = s->constraints[i];
    auto value = node_labels.find(c.topology_key);
    if (value == node_labels.end()) return FilterStatus::Unresolvable(kReasonTopologySpreadLabel);
    int64_t min_count = s->min_count[i];
    if (c.min_domains.has_value() && static_cast<int64_t>(s->counts[i].size()) < *c.min_domains) {
      min_count = 0;
    }
    const int64_t self = c.selector.Matches(pod_labels) ? 1 : 0;
    auto count = s->counts[i].find(value->second);
    const int64_t matching = count == s->counts[i].end() ? 0 : count->second;
    if (matching + self - min_count > c.max_skew) {
      return FilterStatus::Unschedulable(kReasonTopologySpread);
    }
  }
  return FilterStatus::Success();
}

bool PodTopologySpread::PreScore(const PodInfo& pod, const std::vector<const NodeInfo*>& feasible,
                                 const Snapshot& snapshot, CycleState* state) const {
  std::vector<Constraint> constraints = ConstraintsWith(pod.get(), "ScheduleAnyway");
  if (constraints.empty() || feasible.empty()) return false;
  auto s = std::make_unique<PreScoreState>();
  s->counts.resize(constraints.size());
  std::vector<int64_t> domains(constraints.size(), 0);
  for (const NodeInfo* n : feasible) {
    if (!HasAllKeys(*n->node(), constraints)) {
      s->ignored.insert(n->name());
      continue;
    }
    const auto& labels = n->node()->metadata().labels();
    for (size_t i = 0; i < constraints.size(); ++i) {
      if (constraints[i].topology_key == kHostnameLabel) continue;
      if (s->counts[i].emplace(labels.at(constraints[i].topology_key), 0).second) ++domains[i];
    }
  }
  for (size_t i = 0; i < constraints.size(); ++i) {
    int64_t size = domains[i];
    if (constraints[i].topology_key == kHostnameLabel) {
      size = static_cast<int64_t>(feasible.size() - s->ignored.size());
    }
    s->weight.push_back(std::log(static_cast<double>(size + 2)));
  }
  const std::string& ns = pod.get().metadata().namespace_();
  ForEachEligible(pod.get(), snapshot, constraints,
                  [&](size_t i, const std::string& domain, const NodeInfo& n) {
                    if (constraints[i].topology_key == kHostnameLabel) return;
                    auto it = s->counts[i].find(domain);
                    if (it == s->counts[i].end()) return;  // no feasible node in that domain
                    it->second += CountMatching(n, constraints[i].selector, ns);
                  });
  s->constraints = std::move(constraints);
  state->Write(kPreScoreKey, std::move(s));
  return true;
}

int64_t PodTopologySpread::Score(const CycleState& state, const PodInfo& pod,
                                 const NodeInfo& node) const {
  const auto* s = state.Read<PreScoreState>(kPreScoreKey);
  if (s == nullptr) return 0;
  if (s->ignored.contains(node.name())) return kIgnored;
  const auto& labels = node.node()->metadata().labels();
  const std::string& ns = pod.get().metadata().namespace_();
  double score = 0;
  for (size_t i = 0; i < s->constraints.size(); ++i) {
    const Constraint& c = s->constraints[i];
    auto value = labels.find(c.topology_key);
    if (value == labels.end()) continue;
    int64_t count = 0;
    if (c.topology_key == kHostnameLabel) {
      count = CountMatching(node, c.selector, ns);
    } else {
      auto it = s->counts[i].find(value->second);
      if (it != s->counts[i].end()) count = it->second;
    }
    score += static_cast<double>(count) * s->weight[i] + static_cast<double>(c.max_skew - 1);
  }
  return static_cast<int64_t>(std::llround(score));
}

void PodTopologySpread::NormalizeScore(const PodInfo& pod, std::vector<int64_t>& scores) const {
  int64_t min_score = INT64_MAX;
  int64_t max_score = 0;
  for (int64_t s : scores) {
    if (s == kIgnored) continue;
    min_score = std::min(min_score, s);
    max_score = std::max(max_score, s);
  }
  for (int64_t& s : scores) {
    if (s == kIgnored) {
      s = 0;
    } else if (max_score == 0) {
      s = kMaxNodeScore;
    } else {
      s = kMaxNodeScore * (max_score + min_score - s) / max_score;
    }
  }
}

std::unique_ptr<Plugin> NewPodTopologySpread() { return std::make_unique<PodTopologySpread>(); }

}  // namespace minik8s::scheduler::plugins
