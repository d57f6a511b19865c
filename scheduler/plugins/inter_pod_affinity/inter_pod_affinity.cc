#include "scheduler/plugins/inter_pod_affinity/inter_pod_affinity.h"

#include <climits>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "scheduler/framework/affinity_terms.h"

namespace minik8s::scheduler::plugins {
namespace {

constexpr std::string_view kPreFilterKey = "InterPodAffinity/prefilter";
constexpr std::string_view kPreScoreKey = "InterPodAffinity/prescore";
// Kubernetes' default hardPodAffinityWeight.
constexpr int64_t kHardPodAffinityWeight = 1;

// topologyKey → value → count (or score).
using TopologyCounts = absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, int64_t>>;

void Add(const std::string& key, const Node& node, int64_t n, TopologyCounts* counts) {
  const auto& labels = node.metadata().labels();
  auto it = labels.find(key);
  if (it != labels.end()) (*counts)[key][it->second] += n;
}

int64_t CountAt(const TopologyCounts& counts, const std::string& key, const Node& node) {
  const auto& labels = node.metadata().labels();
  auto value = labels.find(key);
  if (value == labels.end()) return 0;
  auto per_key = counts.find(key);
  if (per_key == counts.end()) return 0;
  auto it = per_key->second.find(value->second);
  return it == per_key->second.end() ? 0 : it->second;
}

bool MatchesAll(const std::vector<AffinityTerm>& terms, const PodRef& pod) {
  if (terms.empty()) return false;
  for (const AffinityTerm& t : terms) {
    if (!t.Matches(pod)) return false;
  }
  return true;
}

struct PreFilterState : CycleData {
  std::shared_ptr<const PodRef> pod;
  // Domains of placed pods whose required anti-affinity matches the pod.
  TopologyCounts existing_anti;
  // Per domain of each required affinity term: pods matching all terms.
  TopologyCounts affinity;
  // Per domain of each required anti-affinity term: pods it matches.
  TopologyCounts anti;
};

struct PreScoreState : CycleData {
  TopologyCounts scores;
};

}  // namespace

FilterStatus InterPodAffinity::PreFilter(const PodInfo& pod, const Snapshot& snapshot,
                                         CycleState* state) const {
  const auto& affinity = pod.get().spec().affinity();
  const bool own_required =
      (affinity.has_pod_affinity() &&
       !affinity.pod_affinity().required_during_scheduling_ignored_during_execution().empty()) ||
      (affinity.has_pod_anti_affinity() &&
       !affinity.pod_anti_affinity().required_during_scheduling_ignored_during_execution().empty());
  if (!own_required && snapshot.pods_with_required_anti_affinity() == 0) {
    return FilterStatus::Success();
  }
  std::shared_ptr<const PodRef> incoming = MakePodRef(pod.get());
  const AffinityTerms* own = incoming->affinity.get();
  auto s = std::make_unique<PreFilterState>();
  for (const NodeInfo& n : snapshot.nodes()) {
    if (!own_required && n.pods_with_required_anti_affinity() == 0) continue;
    const Node& node = *n.node();
    for (const auto& placed : n.pods()) {
      if (const AffinityTerms* theirs = placed->affinity.get()) {
        for (const AffinityTerm& t : theirs->required_anti_affinity) {
          if (t.Matches(*incoming)) Add(t.topology_key, node, 1, &s->existing_anti);
        }
      }
      if (!own_required) continue;
      if (MatchesAll(own->required_affinity, *placed)) {
        for (const AffinityTerm& t : own->required_affinity) {
          Add(t.topology_key, node, 1, &s->affinity);
        }
      }
      for (const AffinityTerm& t : own->required_anti_affinity) {
        if (t.Matches(*placed)) Add(t.topology_key, node, 1, &s->anti);
      }
    }
  }
  s->pod = std::move(incoming);
  state->Write(kPreFilterKey, std::move(s));
  return FilterStatus::Success();
}

FilterStatus InterPodAffinity::Filter(const CycleState& state, const PodInfo& pod,
                                      const NodeInfo& node) const {
  const auto* s = state.Read<PreFilterState>(kPreFilterKey);
  if (s == nullptr) return FilterStatus::Success();
  const Node& n = *node.node();
  const auto& labels = n.metadata().labels();
  if (const AffinityTerms* own = s->pod->affinity.get()) {
    bool all_present = true;
    for (const AffinityTerm& t : own->required_affinity) {
      if (!labels.contains(t.topology_key)) {
        return FilterStatus::Unresolvable(kReasonAffinityRules);
      }
      if (CountAt(s->affinity, t.topology_key, n) <= 0) all_present = false;
    }
    // The first pod of a group that has affinity to itself.
    if (!all_present && !(s->affinity.empty() && MatchesAll(own->required_affinity, *s->pod))) {
      return FilterStatus::Unresolvable(kReasonAffinityRules);
    }
    for (const AffinityTerm& t : own->required_anti_affinity) {
      if (CountAt(s->anti, t.topology_key, n) > 0) {
        return FilterStatus::Unschedulable(kReasonAntiAffinityRules);
      }
    }
  }
  for (const auto& [key, values] : s->existing_anti) {
    auto value = labels.find(key);
    if (value == labels.end()) continue;
    auto it = values.find(value->second);
    if (it != values.end() && it->second > 0) {
      return FilterStatus::Unschedulable(kReasonExistingAntiAffinityRules);
    }
  }
  return FilterStatus::Success();
}

bool InterPodAffinity::PreScore(const PodInfo& pod, const std::vector<const NodeInfo*>& feasible,
                                const Snapshot& snapshot, CycleState* state) const {
  const auto& affinity = pod.get().spec().affinity();
  const bool own_preferred =
      (affinity.has_pod_affinity() &&
       !affinity.pod_affinity().preferred_during_scheduling_ignored_during_execution().empty()) ||
      (affinity.has_pod_anti_affinity() &&
       !affinity.pod_anti_affinity()
            .preferred_during_scheduling_ignored_during_execution()
            .empty());
  if (!own_preferred && snapshot.pods_with_affinity() == 0) return false;
  std::shared_ptr<const PodRef> incoming = MakePodRef(pod.get());
  const AffinityTerms* own = incoming->affinity.get();
  auto s = std::make_unique<PreScoreState>();
  for (const NodeInfo& n : snapshot.nodes()) {
    if (!own_preferred && n.pods_with_affinity() == 0) continue;
    const Node& node = *n.node();
    for (const auto& placed : n.pods()) {
      if (own_preferred) {
        for (const AffinityTerm& t : own->preferred_affinity) {
          if (t.Matches(*placed)) Add(t.topology_key, node, t.weight, &s->scores);
        }
        for (const AffinityTerm& t : own->preferred_anti_affinity) {
          if (t.Matches(*placed)) Add(t.topology_key, node, -t.weight, &s->scores);
        }
      }
      const AffinityTerms* theirs = placed->affinity.get();
      if (theirs == nullptr) continue;
      for (const AffinityTerm& t : theirs->required_affinity) {
        if (t.Matches(*incoming)) Add(t.topology_key, node, kHardPodAffinityWeight, &s->scores);
      }
      for (const AffinityTerm& t : theirs->preferred_affinity) {
        if (t.Matches(*incoming)) Add(t.topology_key, node, t.weight, &s->scores);
      }
      for (const AffinityTerm& t : theirs->preferred_anti_affinity) {
        if (t.Matches(*incoming)) Add(t.topology_key, node, -t.weight, &s->scores);
      }
    }
  }
  if (s->scores.empty()) return false;
  state->Write(kPreScoreKey, std::move(s));
  return true;
}

int64_t InterPodAffinity::Score(const CycleState& state, const PodInfo& pod,
                                const NodeInfo& node) const {
  const auto* s = state.Read<PreScoreState>(kPreScoreKey);
  if (s == nullptr) return 0;
  int64_t score = 0;
  for (const auto& [key, values] : s->scores) score += CountAt(s->scores, key, *node.node());
  return score;
}

void InterPodAffinity::NormalizeScore(const PodInfo& pod, std::vector<int64_t>& scores) const {
  if (scores.empty()) return;
  int64_t min_score = INT64_MAX;
  int64_t max_score = INT64_MIN;
  for (int64_t s : scores) {
    min_score = std::min(min_score, s);
    max_score = std::max(max_score, s);
  }
  const int64_t diff = max_score - min_score;
  for (int64_t& s : scores) {
    s = diff > 0
            ? static_cast<int64_t>(static_cast<double>(kMaxNodeScore) *
                                   static_cast<double>(s - min_score) / static_cast<double>(diff))
            : 0;
  }
}

std::unique_ptr<Plugin> NewInterPodAffinity() { return std::make_unique<InterPodAffinity>(); }

}  // namespace minik8s::scheduler::plugins
