#include "scheduler/schedule_one.h"

#include <atomic>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace minik8s::scheduler {

namespace {
constexpr int kMinFeasibleNodesToFind = 100;
constexpr int kMinFeasibleNodesPercentageToFind = 5;
}  // namespace

int NumFeasibleNodesToFind(int percentage, int num_all_nodes) {
  if (num_all_nodes < kMinFeasibleNodesToFind || percentage >= 100) return num_all_nodes;
  if (percentage <= 0) {
    percentage = 50 - num_all_nodes / 125;
    if (percentage < kMinFeasibleNodesPercentageToFind) {
      percentage = kMinFeasibleNodesPercentageToFind;
    }
  }
  int num = static_cast<int>(static_cast<int64_t>(num_all_nodes) * percentage / 100);
  return num < kMinFeasibleNodesToFind ? kMinFeasibleNodesToFind : num;
}

Algorithm::Algorithm(const Framework* framework, Parallelizer* parallelizer,
                     int percentage_of_nodes_to_score, uint64_t seed)
    : framework_(framework),
      parallelizer_(parallelizer),
      percentage_(percentage_of_nodes_to_score),
      rng_(seed) {}

ScheduleResult Algorithm::Schedule(const PodInfo& pod, const Snapshot& snapshot) {
  ScheduleResult result;
  const int n = snapshot.NumNodes();
  if (n == 0) {
    result.fit_error = FitError{};
    return result;
  }
  const auto& nodes = snapshot.nodes();
  CycleState state;
  FilterStatus pre = framework_->RunPreFilter(pod, snapshot, &state);
  if (!pre.ok()) {
    // Every node is rejected for the same reasons (Kubernetes: a PreFilter
    // rejection).
    FitError fe;
    fe.num_all_nodes = n;
    for (int i = 0; i < n; ++i) fe.Add(pre);
    result.fit_error = std::move(fe);
    return result;
  }
  const int want = NumFeasibleNodesToFind(percentage_, n);
  const int start = next_start_node_index_ % n;

  // Filter, in parallel, stopping once `want` nodes passed. Slots keep the
  // per-node outcome so the result does not depend on thread timing beyond
  // which nodes were reached.
  std::vector<const NodeInfo*> feasible(want, nullptr);
  std::vector<FilterStatus> statuses(n);
  std::vector<char> checked(n, 0);
  std::atomic<int> found{0};
  auto check = [&](int i) {
    if (found.load(std::memory_order_relaxed) >= want) return;
    int idx = (start + i) % n;
    const NodeInfo& node = nodes[idx];
    FilterStatus s = framework_->RunFilter(state, pod, node);
    checked[i] = 1;
    if (s.ok()) {
      int slot = found.fetch_add(1);
      if (slot < want) {
        feasible[slot] = &node;
      }
    } else {
      statuses[i] = std::move(s);
    }
  };
  if (parallelizer_ != nullptr) {
    parallelizer_->Until(n, 16, check);
  } else {
    for (int i = 0; i < n && found.load() < want; ++i) check(i);
  }
  int num_found = std::min(found.load(), want);
  feasible.resize(num_found);
  // Processed = feasible ones kept + rejected ones (Kubernetes'
  // processedNodes); the next cycle starts after them.
  int rejected = 0;
  for (int i = 0; i < n; ++i) {
    if (checked[i] && !statuses[i].ok()) ++rejected;
  }
  result.evaluated_nodes = num_found + rejected;
  result.feasible_nodes = num_found;
  next_start_node_index_ = (start + result.evaluated_nodes) % n;

  if (num_found == 0) {
    FitError fe;
    fe.num_all_nodes = n;
    for (int i = 0; i < n; ++i) {
      if (checked[i]) fe.Add(statuses[i]);
    }
    result.fit_error = std::move(fe);
    return result;
  }
  if (num_found == 1) {
    result.suggested_host = feasible[0]->name();
    return result;
  }
  std::vector<int64_t> scores;
  if (framework_->HasScorePlugins()) {
    framework_->RunPreScore(pod, feasible, snapshot, &state);
    scores = framework_->RunScore(state, pod, feasible, parallelizer_);
  } else {
    scores.assign(num_found, 0);
  }
  // selectHost: reservoir sampling among the maxima.
  int best = 0;
  int64_t best_score = scores[0];
  int ties = 1;
  for (int i = 1; i < num_found; ++i) {
    if (scores[i] > best_score) {
      best_score = scores[i];
      best = i;
      ties = 1;
    } else if (scores[i] == best_score) {
      ++ties;
      if (std::uniform_int_distribution<int>(0, ties - 1)(rng_) == 0) best = i;
    }
  }
  result.suggested_host = feasible[best]->name();
  return result;
}

}  // namespace minik8s::scheduler
