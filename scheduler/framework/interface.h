// The scheduling framework's plugin interfaces (a small subset of
// Kubernetes' pkg/scheduler/framework/interface.go).
//
// A plugin is one object that may implement FilterPlugin, ScorePlugin or
// both (NodeAffinity, TaintToleration). Plugins are stateless after
// construction: Filter/Score/NormalizeScore are const and called
// concurrently from the parallelizer's threads for different nodes.
//
//   PreFilter  (optional, with Filter) once per scheduling cycle, before any
//              Filter: looks at every node of the snapshot and keeps what
//              the plugin's Filter needs in the cycle's CycleState.
//   Filter     says whether the pod may run on the node; a failure carries
//              the reasons users see in "0/N nodes are available: ...".
//   PreScore   (optional, with Score) once per cycle, before Score, with the
//              feasible nodes and every node; may say the plugin has nothing
//              to score for this pod, and then its Score is not called.
//   Score      rates a feasible node; NormalizeScore then maps every plugin's
//              scores to [0, kMaxNodeScore] before they are weighted and
//              summed.
#ifndef MINIK8S_SCHEDULER_FRAMEWORK_INTERFACE_H_
#define MINIK8S_SCHEDULER_FRAMEWORK_INTERFACE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scheduler/cache/snapshot.h"
#include "scheduler/framework/types.h"

namespace minik8s::scheduler {

inline constexpr int64_t kMaxNodeScore = 100;
inline constexpr int64_t kMinNodeScore = 0;

enum class Code {
  kSuccess,
  // The node may fit after other pods leave (preemption could help).
  kUnschedulable,
  // Nothing short of changing the node or the pod helps.
  kUnschedulableAndUnresolvable,
  kError,
};

// The result of a filter: success, or a code with one or more reasons.
class FilterStatus {
 public:
  FilterStatus() = default;
  FilterStatus(Code code, std::vector<std::string> reasons)
      : code_(code), reasons_(std::move(reasons)) {}
  static FilterStatus Success() { return {}; }
  static FilterStatus Unschedulable(std::string reason) {
    return {Code::kUnschedulable, {std::move(reason)}};
  }
  static FilterStatus Unresolvable(std::string reason) {
    return {Code::kUnschedulableAndUnresolvable, {std::move(reason)}};
  }

  bool ok() const { return code_ == Code::kSuccess; }
  Code code() const { return code_; }
  const std::vector<std::string>& reasons() const { return reasons_; }

 private:
  Code code_ = Code::kSuccess;
  std::vector<std::string> reasons_;
};

// What a plugin computed for one pod in one scheduling cycle.
class CycleData {
 public:
  virtual ~CycleData() = default;
};

// The data plugins keep for one scheduling cycle (Kubernetes' CycleState),
// by plugin name. Written by PreFilter and PreScore on the scheduling
// thread; only read while Filter and Score run on several threads.
class CycleState {
 public:
  void Write(std::string_view key, std::unique_ptr<CycleData> data) {
    for (auto& [k, d] : data_) {
      if (k == key) {
        d = std::move(data);
        return;
      }
    }
    data_.emplace_back(std::string(key), std::move(data));
  }
  // Null when nothing was written under `key`. A linear scan: a cycle holds
  // a handful of entries at most, and none for most pods, while Filter asks
  // once per node.
  template <typename T>
  const T* Read(std::string_view key) const {
    for (const auto& [k, d] : data_) {
      if (k == key) return static_cast<const T*>(d.get());
    }
    return nullptr;
  }

 private:
  std::vector<std::pair<std::string, std::unique_ptr<CycleData>>> data_;
};

class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual std::string_view Name() const = 0;
};

class FilterPlugin : public virtual Plugin {
 public:
  virtual FilterStatus Filter(const CycleState& state, const PodInfo& pod,
                              const NodeInfo& node) const = 0;
};

class PreFilterPlugin : public virtual Plugin {
 public:
  // `snapshot`: every node of the cycle. A failure rejects the pod on every
  // node with its reasons.
  virtual FilterStatus PreFilter(const PodInfo& pod, const Snapshot& snapshot,
                                 CycleState* state) const = 0;
};

class ScorePlugin : public virtual Plugin {
 public:
  // A raw score; any range (NormalizeScore maps it).
  virtual int64_t Score(const CycleState& state, const PodInfo& pod,
                        const NodeInfo& node) const = 0;
  // Maps the raw scores of all feasible nodes into [0, kMaxNodeScore]. The
  // default leaves them as they are (for plugins that score in range).
  virtual void NormalizeScore(const PodInfo& pod, std::vector<int64_t>& scores) const {}
};

class PreScorePlugin : public virtual Plugin {
 public:
  // `feasible`: the nodes that will be scored; `snapshot`: every node of
  // the cycle. False: nothing to score for this pod (Kubernetes' Skip).
  virtual bool PreScore(const PodInfo& pod, const std::vector<const NodeInfo*>& feasible,
                        const Snapshot& snapshot, CycleState* state) const = 0;
};

// Shared normalizers (Kubernetes' helper.DefaultNormalizeScore): scales so
// the highest score becomes kMaxNodeScore; `reverse` then flips
// (kMaxNodeScore - score). All zero: everything kMaxNodeScore when reversed,
// zero otherwise.
void DefaultNormalizeScore(int64_t max_priority, bool reverse, std::vector<int64_t>& scores);

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_FRAMEWORK_INTERFACE_H_
