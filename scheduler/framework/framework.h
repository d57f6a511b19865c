// Framework: the configured plugins of one profile — which filters run (in
// order; the first failure rejects a node, as in Kubernetes) and which score
// plugins count with what weight — plus RunPreFilter / RunFilter /
// RunPreScore / RunScore over a pod. A filter (score) plugin that also
// implements PreFilterPlugin (PreScorePlugin) gets its PreFilter (PreScore)
// run too, as Kubernetes' default profile enables both points together.
//
// Thread safety: immutable after Create; RunFilter/RunScore are const and
// may be called concurrently.
#ifndef MINIK8S_SCHEDULER_FRAMEWORK_FRAMEWORK_H_
#define MINIK8S_SCHEDULER_FRAMEWORK_FRAMEWORK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "scheduler/framework/interface.h"
#include "scheduler/framework/parallelizer.h"
#include "scheduler/plugins/registry.h"

namespace minik8s::scheduler {

struct Profile {
  std::vector<std::string> filter_plugins = plugins::DefaultFilterPlugins();
  std::vector<plugins::WeightedPlugin> score_plugins = plugins::DefaultScorePlugins();
};

class Framework {
 public:
  // InvalidArgument for an unknown plugin name, a plugin used for an
  // extension point it does not implement, or a weight < 1.
  static absl::StatusOr<std::unique_ptr<Framework>> Create(const Profile& profile);

  // The PreFilter of every filter plugin that has one, in filter order; the
  // first failure is returned.
  FilterStatus RunPreFilter(const PodInfo& pod, const Snapshot& snapshot, CycleState* state) const;
  FilterStatus RunFilter(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const;
  // The PreScore of every score plugin that has one; a plugin whose PreScore
  // says it has nothing to score is left out of RunScore (recorded in
  // `state`).
  void RunPreScore(const PodInfo& pod, const std::vector<const NodeInfo*>& feasible,
                   const Snapshot& snapshot, CycleState* state) const;
  // Weighted sum of the normalized scores of every score plugin, one per
  // node of `nodes` (parallelized per node for Score).
  std::vector<int64_t> RunScore(const CycleState& state, const PodInfo& pod,
                                const std::vector<const NodeInfo*>& nodes,
                                Parallelizer* parallelizer) const;

  bool HasScorePlugins() const { return !scores_.empty(); }
  std::vector<std::string> FilterNames() const;
  std::vector<std::string> ScoreNames() const;

 private:
  struct WeightedScore {
    const ScorePlugin* plugin;
    int64_t weight;
  };
  std::vector<std::unique_ptr<Plugin>> owned_;
  std::vector<const FilterPlugin*> filters_;
  std::vector<const PreFilterPlugin*> pre_filters_;
  std::vector<WeightedScore> scores_;
  // Parallel to scores_: the plugin's PreScore, or null.
  std::vector<const PreScorePlugin*> pre_scores_;
};

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_FRAMEWORK_FRAMEWORK_H_
