#include "scheduler/plugins/node_resources_fit/node_resources_fit.h"

namespace minik8s::scheduler::plugins {

std::vector<std::string> InsufficientResources(const Resources& requests, const NodeInfo& node) {
  std::vector<std::string> reasons;
  if (node.num_pods() + 1 > node.allowed_pods()) reasons.push_back(kReasonTooManyPods);
  const Resources& alloc = node.allocatable();
  const Resources& used = node.requested();
  if (requests.milli_cpu > 0 && requests.milli_cpu > alloc.milli_cpu - used.milli_cpu) {
    reasons.push_back("Insufficient cpu");
  }
  if (requests.memory > 0 && requests.memory > alloc.memory - used.memory) {
    reasons.push_back("Insufficient memory");
  }
  if (requests.ephemeral_storage > 0 &&
      requests.ephemeral_storage > alloc.ephemeral_storage - used.ephemeral_storage) {
    reasons.push_back("Insufficient ephemeral-storage");
  }
  return reasons;
}

FilterStatus NodeResourcesFit::Filter(const CycleState& state, const PodInfo& pod,
                                      const NodeInfo& node) const {
  std::vector<std::string> reasons = InsufficientResources(pod.requests, node);
  if (reasons.empty()) return FilterStatus::Success();
  return FilterStatus(Code::kUnschedulable, std::move(reasons));
}

std::unique_ptr<Plugin> NewNodeResourcesFit() { return std::make_unique<NodeResourcesFit>(); }

}  // namespace minik8s::scheduler::plugins
