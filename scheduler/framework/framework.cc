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
  }
  return fw;
}

FilterStatus Framework::RunFilter(const PodInfo& pod, const NodeInfo& node) const {
  for (const FilterPlugin* f : filters_) {
    FilterStatus s = f->Filter(pod, node);
    if (!s.ok()) return s;
  }
  return FilterStatus::Success();
}

std::vector<int64_t> Framework::RunScore(const PodInfo& pod,
                                         const std::vector<const NodeInfo*>& nodes,
                                         Parallelizer* parallelizer) const {
  const size_t n = nodes.size();
  std::vector<std::vector<int64_t>> per_plugin(scores_.size(), std::vector<int64_t>(n));
  auto score_node = [&](int i) {
    for (size_t p = 0; p < scores_.size(); ++p) {
      per_plugin[p][i] = scores_[p].plugin->Score(pod, *nodes[i]);
    }
  };
  if (parallelizer != nullptr) {
    parallelizer->Until(static_cast<int>(n), 64, score_node);
  } else {
    for (size_t i = 0; i < n; ++i) score_node(static_cast<int>(i));
  }
  std::vector<int64_t> total(n, 0);
  for (size_t p = 0; p < scores_.size(); ++p) {
    scores_[p].plugin->NormalizeScore(pod, per_plugin[p]);
    for (size_t i = 0; i < n; ++i) total[i] += per_plugin[p][i] * scores_[p].weight;
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
