// The scheduling algorithm for one pod over one snapshot (Kubernetes'
// schedule_one.go schedulePod / findNodesThatFitPod / prioritizeNodes /
// selectHost):
//
//   1. no nodes → kNoNodesAvailableMsg;
//   2. filter: starting at a rotating index, run the filter plugins over the
//      nodes (in parallel) until NumFeasibleNodesToFind(...) feasible nodes
//      are found or every node was tried; the next cycle starts where this
//      one stopped, so all nodes get their turn;
//   3. none feasible → FitError (the "0/N nodes are available" message);
//   4. one feasible → it; otherwise score them with the score plugins and
//      pick the highest total, ties broken uniformly at random.
//
// Thread safety: Schedule() is called by one thread (the scheduling loop);
// it keeps the rotating start index and the random generator.
#ifndef MINIK8S_SCHEDULER_SCHEDULE_ONE_H_
#define MINIK8S_SCHEDULER_SCHEDULE_ONE_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "scheduler/cache/snapshot.h"
#include "scheduler/framework/fit_error.h"
#include "scheduler/framework/framework.h"
#include "scheduler/framework/parallelizer.h"

namespace minik8s::scheduler {

// Kubernetes' numFeasibleNodesToFind: fewer than 100 nodes → all of them;
// otherwise `percentage`% of them (0 = adaptive: max(5, 50 - N/125)), but at
// least 100. A percentage of 100 or more means all nodes.
int NumFeasibleNodesToFind(int percentage, int num_all_nodes);

struct ScheduleResult {
  std::string suggested_host;  // empty on failure
  int evaluated_nodes = 0;
  int feasible_nodes = 0;
  // Set when no node fits (or there are no nodes: num_all_nodes == 0).
  std::optional<FitError> fit_error;

  bool ok() const { return !suggested_host.empty(); }
  // The FailedScheduling message (fit_error set).
  std::string FailureMessage() const {
    if (!fit_error) return "";
    if (fit_error->num_all_nodes == 0) return kNoNodesAvailableMsg;
    return fit_error->Message();
  }
};

class Algorithm {
 public:
  // `framework` and `parallelizer` (may be null: run inline) are borrowed and
  // must outlive the Algorithm.
  Algorithm(const Framework* framework, Parallelizer* parallelizer,
            int percentage_of_nodes_to_score, uint64_t seed = std::random_device{}());

  ScheduleResult Schedule(const PodInfo& pod, const Snapshot& snapshot);

  int next_start_node_index() const { return next_start_node_index_; }

 private:
  const Framework* const framework_;
  Parallelizer* const parallelizer_;
  const int percentage_;
  int next_start_node_index_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_SCHEDULE_ONE_H_
