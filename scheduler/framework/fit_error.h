// The explanation users read when a pod fits nowhere (Kubernetes'
// framework.FitError.Error()):
//
//   0/3 nodes are available: 1 node(s) had untolerated taint
//   {node.kubernetes.io/unreachable: }, 2 Insufficient cpu.
//
// Every filter reason of every rejected node is counted (a node rejected for
// both cpu and memory counts in both); the "<count> <reason>" strings are
// sorted as strings (so "10 ..." sorts before "2 ..." exactly as in
// Kubernetes) and joined with ", ".
#ifndef MINIK8S_SCHEDULER_FRAMEWORK_FIT_ERROR_H_
#define MINIK8S_SCHEDULER_FRAMEWORK_FIT_ERROR_H_

#include <map>
#include <string>

#include "scheduler/framework/interface.h"

namespace minik8s::scheduler {

// When the cluster has no nodes at all (Kubernetes' ErrNoNodesAvailable).
inline constexpr char kNoNodesAvailableMsg[] = "no nodes available to schedule pods";

struct FitError {
  int num_all_nodes = 0;
  std::map<std::string, int> reasons;  // reason → number of nodes

  void Add(const FilterStatus& status) {
    for (const auto& r : status.reasons()) ++reasons[r];
  }
  std::string Message() const;
};

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_FRAMEWORK_FIT_ERROR_H_
