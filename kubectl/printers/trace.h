// `mkctl trace`: the life of one object and the objects it owns, as a tree
// and a timeline. For a Deployment the chain is Deployment → its
// ReplicaSets → their Pods (ownerReferences with controller=true); for a
// ReplicaSet, it and its Pods; for a Pod, the Pod alone (with its owners
// named in the tree).
//
// The timeline merges, in time order:
//   - each object's creation (metadata.creationTimestamp);
//   - a pod's condition transitions (PodScheduled, Initialized,
//     ContainersReady, Ready: the lastTransitionTime of each, with its
//     status as it is: `True`, or `False: Reason (message)` such as
//     `False: ContainersNotReady (containers with unready status: [c])`)
//     and each container's start (state.running.startedAt);
//   - every Event about the objects (reason, message, the component that
//     reported it: source.component or reportingComponent; its first time:
//     eventTime (microseconds, set by minik8s' event recorders), else
//     firstTimestamp (seconds), else lastTimestamp).
// Each step shows the time (UTC, with milliseconds when known), how long
// after the previous step it happened, the object, the step, who did it and
// the detail. Times known only to the second (creationTimestamp, condition
// transitions) count as the start of their second; ties keep the chain
// order (owner before owned; creation first).
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_PRINTERS_TRACE_H_
#define MINIK8S_KUBECTL_PRINTERS_TRACE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubectl {

struct TraceInput {
  std::vector<apps::v1::Deployment> deployments;  // at most one: the root
  std::vector<apps::v1::ReplicaSet> replica_sets;
  std::vector<core::v1::Pod> pods;
  std::vector<core::v1::Event> events;  // about any of the objects above
};

struct TraceStep {
  absl::Time time;
  bool precise = false;  // sub-second time known
  int rank = 0;          // tie-break: chain order
  std::string object;    // `pod/x`
  std::string step;      // `Created`, `Scheduled`, an event reason
  std::string by;        // component, "-" when unknown
  std::string detail;
};

// The steps in time order.
std::vector<TraceStep> TraceSteps(const TraceInput& input);

// `+350ms`, `+1.2s`, `+3m2s` (HumanDuration from 2 minutes).
std::string FormatDelta(absl::Duration d);

// The tree and the numbered timeline.
std::string RenderTrace(const TraceInput& input, absl::Time now);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_TRACE_H_
