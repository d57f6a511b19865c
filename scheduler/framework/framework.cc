#include "scheduler/framework/framework.h"

#include "absl/strings/str_cat.h"

namespace minik8s::scheduler {

absl::StatusOr<std::unique_ptr<Framework>> Framework::Create(const Profile& profile) {
  auto fw = std::unique_ptr<Framework>(new Framework());
  std::map<std::string, Plugin*> instances;
  auto instance = [&](const std::string& name) -> absl::StatusOr<Plugin*> {
    auto it = instances.find(name);
    if (it != instances.end()) return it->second;
    const auto& registry = plugins::Registry();
    auto f = registry.find(name);
    if (f == registry.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown plugin \"", name, "\""));
    }
    fw->owned_.push_back(f->second());
    instances[name] = fw->owned_.back().get();
    return fw->owned_.back().get();
  };
  for (const std::string& name : profile.filter_plugins) {
    auto p = instance(name);
    if (!p.ok()) return p.status();
    auto* filter = dynamic_cast<const FilterPlugin*>(*p);
    if (filter == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("plugin \"", name, "\" is not a filter plugin"));
    }
    fw->filters_.push_back(filter);
    if (auto* pre = dynamic_cast<const PreFilterPlugin*>(*p)) fw->pre_filters_.push_back(pre);
  }
  for (const auto& wp : profile.score_plugins) {
    auto p = instance(wp.name);
    if (!p.ok()) return p.status();
    auto* score = dynamic_cast<const ScorePlugin*>(*p);
    if (score == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("plugin \"", wp.name, "\" is not a score plugin"));
    }
    if (wp.weight < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("score plugin \"", wp.name, "\": weight must be at least 1"));
    }
    fw->scores_.push_back({score, wp.weight});
    fw->pre_scores_.push_back(dynamic_cast<const PreScorePlugin*>(*p));
  }
  return fw;
}

FilterStatus Framework::RunPreFilter(const PodInfo& pod, const Snapshot& snapshot,
                                     CycleState* state) const {
  for (const PreFilterPlugin* p : pre_filters_) {
    FilterStatus s = p->PreFilter(pod, snapshot, state);
    if (!s.ok()) return s;
  }
  return FilterStatus::Success();
}

FilterStatus Framework::RunFilter(const CycleState& state, const PodInfo& pod,
                                  const NodeInfo& node) const {
  for (const FilterPlugin* f : filters_) {
    FilterStatus s = f->Filter(state, pod, node);
    if (!s.ok()) return s;
  }
  return FilterStatus::Success();
}

namespace {
// CycleState entry listing the score plugins that have nothing to score.
constexpr std::string_view kSkippedScores = "framework/skipped-scores";
struct SkippedScores : CycleData {
  std::vector<bool> skipped;  // parallel to the framework's score plugins
};
}  // namespace

void Framework::RunPreScore(const PodInfo& pod, const std::vector<const NodeInfo*>& feasible,
                            const Snapshot& snapshot, CycleState* state) const {
  auto skipped = std::make_unique<SkippedScores>();
  skipped->skipped.assign(scores_.size(), false);
  bool any = false;
  for (size_t i = 0; i < pre_scores_.size(); ++i) {
    if (pre_scores_[i] != nullptr && !pre_scores_[i]->PreScore(pod, feasible, snapshot, state)) {
      skipped->skipped[i] = true;
      any = true;
    }
  }
  if (any) state->Write(kSkippedScores, std::move(skipped));
}

std::vector<int64_t> Framework::RunScore(const CycleState& state, const PodInfo& pod,
                                         const std::vector<const NodeInfo*>& nodes,
                                         Parallelizer* parallelizer) const {
  const size_t n = nodes.size();
  std::vector<const WeightedScore*> active;
  const auto* skipped = state.Read<SkippedScores>(kSkippedScores);
  for (size_t p = 0; p < scores_.size(); ++p) {
    if (skipped == nullptr || !skipped->skipped[p]) active.push_back(&scores_[p]);
  }
  std::vector<std::vector<int64_t>> per_plugin(active.size(), std::vector<int64_t>(n));
  auto score_node = [&](int i) {
    for (size_t p = 0; p < active.size(); ++p) {
      per_plugin[p][i] = active[p]->plugin->Score(state, pod, *nodes[i]);
    }
  };
  if (parallelizer != nullptr) {
    parallelizer->Until(static_cast<int>(n), 64, score_node);
  } else {
    for (size_t i = 0; i < n; ++i) score_node(static_cast<int>(i));
  }
  std::vector<int64_t> total(n, 0);
  for (size_t p = 0; p < active.size(); ++p) {
    active[p]->plugin->NormalizeScore(pod, per_plugin[p]);
    for (size_t i = 0; i < n; ++i) total[i] += per_plugin[p][i] * active[p]->weight;
  }
  return total;
}

std::vector<std::string> Framework::FilterNames() const {
  std::vector<std::string> out;
  for (const auto* f : filters_) out.emplace_back(f->Name());
  return out;
}

std::vector<std::string> Framework::ScoreNames() const {
  std::vector<std::string> out;
  for (const auto& s : scores_) out.emplace_back(s.plugin->Name());
  return out;
}

}  // namespace minik8s::scheduler
