// `mkctl trace`: the life of one object and the objects it owns, as a tree
// and a timeline. For a Deployment the chain is Deployment → its
// ReplicaSets → their Pods (ownerReferences with controller=true); for a
// ReplicaSet, it and its Pods; for a Pod, the Pod alone (with its owners
// named in the tree).
//
// The timeline merges:
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
//
// Order. Times alone cannot order the steps: creations, conditions and
// container starts carry whole seconds. The store revision orders every
// write (it is each object's and event's metadata.resourceVersion), but
// events are written asynchronously, after they happened. So each step gets
// a place in time:
//   - an event: its eventTime (microseconds), else its first time;
//   - a creation, condition transition or container start whose write the
//     replay of the store's history saw (`history`, TraceHistory): no
//     earlier than its second, the previous such write in revision order,
//     every event written at a lower revision (it happened before), and the
//     steps of the same pod at an earlier stage (below);
//   - any other step (a write the replay did not see): its second, moved
//     after the steps of the same pod at an earlier stage. RenderTrace says
//     when steps were placed this way (the order is then approximate).
// Stages of a pod: Created < Scheduled < Initialized, image and container
// events < container running < ContainersReady < Ready. Steps are listed by
// place; ties put an event before a write, writes in revision order, then
// the chain order (owner before owned; creation first).
// Each step shows the time (UTC, with milliseconds when known), how long
// after the previous step it happened (never negative), the object, the
// step, who did it and the detail.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_PRINTERS_TRACE_H_
#define MINIK8S_KUBECTL_PRINTERS_TRACE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubectl {

// What a replay of the store's history observed: a watch of each resource
// from an old resourceVersion delivers every write since, in revision order.
struct TraceHistory {
  // The revision of each object's creation (its ADDED event), by uid. An
  // object absent here was created before the replayed history began.
  std::map<std::string, int64_t> created;
  // Every observed version of the pods (metadata.resourceVersion set), in
  // revision order.
  std::vector<core::v1::Pod> pod_versions;
  // Why part of the history is missing ("" when nothing is known missing),
  // e.g. `history before revision 812 was already compacted`.
  std::string note;
};

struct TraceInput {
  std::vector<apps::v1::Deployment> deployments;  // at most one: the root
  std::vector<apps::v1::ReplicaSet> replica_sets;
  std::vector<core::v1::Pod> pods;
  std::vector<core::v1::Event> events;  // about any of the objects above
  TraceHistory history;
};

struct TraceStep {
  absl::Time time;
  bool precise = false;  // sub-second time known
  int rank = 0;          // tie-break: chain order
  int64_t revision = 0;  // the store revision of the write, 0 when unknown
  int phase = -1;        // causal stage within a pod (see above), -1: none
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
