// The node lifecycle controller (Kubernetes pkg/controller/nodelifecycle and
// the NoExecute taint manager, pkg/controller/tainteviction).
//
// Every monitor_period it looks at each Node:
//   - Health: the kubelet's heartbeat is its Lease kube-node-lease/<node>
//     (and the Ready condition's lastHeartbeatTime). The controller times
//     heartbeats on its own clock, from when it last saw either change (so
//     clock skew between machines does not matter). A node not heard from
//     for grace_period (startup_grace_period before it was ever Ready) gets
//     Ready=Unknown, reason NodeStatusUnknown, "Kubelet stopped posting node
//     status."; its pods get Ready=False; Events NodeNotReady on the node
//     ("Node x status is now: NodeNotReady") and on each pod ("Node is not
//     ready").
//   - Taints: Ready=Unknown → node.kubernetes.io/unreachable with effects
//     NoSchedule and NoExecute, Ready=False → node.kubernetes.io/not-ready
//     with both effects, Ready=True → none of them (timeAdded records when a
//     taint appeared). NoSchedule keeps the scheduler from placing new pods
//     there; NoExecute drives the evictions below.
//   - Eviction: a pod on a node with such a taint is deleted once the taint
//     is older than the pod's tolerationSeconds for it (the smallest
//     matching one; a matching toleration without seconds tolerates it
//     forever). The apiserver's DefaultTolerationSeconds admission gives
//     every new pod the not-ready and unreachable tolerations
//     (--default-not-ready-toleration-seconds and
//     --default-unreachable-toleration-seconds), so those decide; a pod
//     without a matching toleration (stored before that admission, or
//     written to etcd directly) waits default_toleration_seconds.
//     Event TaintManagerEviction "Marking for deletion Pod ns/name". The
//     ReplicaSet then replaces the pod.
//
// Thread safety: MonitorOnce may be called from any one thread at a time
// (Run's thread, or a test). Borrowed objects must outlive the controller.
#ifndef MINIK8S_CONTROLLERS_NODELIFECYCLE_NODE_LIFECYCLE_CONTROLLER_H_
#define MINIK8S_CONTROLLERS_NODELIFECYCLE_NODE_LIFECYCLE_CONTROLLER_H_

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/clientset.h"
#include "client/event_recorder.h"
#include "client/lister.h"
#include "common/clock.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

inline constexpr char kTaintUnreachable[] = "node.kubernetes.io/unreachable";
inline constexpr char kTaintNotReady[] = "node.kubernetes.io/not-ready";
inline constexpr char kNodeLeaseNamespace[] = "kube-node-lease";

// The writes of the controller (a fake in tests).
class NodeLifecycleClient {
 public:
  virtual ~NodeLifecycleClient() = default;
  virtual absl::StatusOr<minik8s::core::v1::Node> UpdateNode(const minik8s::core::v1::Node& n) = 0;
  virtual absl::StatusOr<minik8s::core::v1::Node> UpdateNodeStatus(
      const minik8s::core::v1::Node& n) = 0;
  virtual absl::StatusOr<minik8s::core::v1::Pod> UpdatePodStatus(
      const minik8s::core::v1::Pod& p) = 0;
  virtual absl::Status DeletePod(absl::string_view ns, absl::string_view name) = 0;
};
// `clientset` borrowed; must outlive the result.
std::unique_ptr<NodeLifecycleClient> NewApiNodeLifecycleClient(const client::Clientset* clientset);

// How long `pod` tolerates `taint` (NoExecute): nullopt = forever;
// `default_seconds` when no toleration matches.
std::optional<absl::Duration> TolerationDelay(const minik8s::core::v1::Pod& pod,
                                              const minik8s::core::v1::Taint& taint,
                                              int64_t default_seconds);

struct NodeLifecycleOptions {
  absl::Duration monitor_period = absl::Seconds(5);
  absl::Duration grace_period = absl::Seconds(40);
  absl::Duration startup_grace_period = absl::Seconds(60);
  int64_t default_toleration_seconds = 300;
  common::Clock* clock = nullptr;  // null = real clock
};

class NodeLifecycleController {
 public:
  NodeLifecycleController(client::Lister<minik8s::core::v1::Node> nodes,
                          client::Lister<minik8s::coordination::v1::Lease> leases,
                          client::Lister<minik8s::core::v1::Pod> pods,
                          std::unique_ptr<NodeLifecycleClient> client,
                          client::EventRecorder* recorder, NodeLifecycleOptions options);
  ~NodeLifecycleController();

  void Run();  // a thread calling MonitorOnce every monitor_period
  void Stop();
  // One pass over every node: health, taints, evictions. Returns the first
  // error (the pass continues past it).
  absl::Status MonitorOnce();

 private:
  struct Health {
    absl::Time probe;               // our clock, when we last heard from the node
    std::string lease_renew;        // last seen renewTime (serialized) + rv
    int64_t heartbeat_seconds = 0;  // last seen Ready lastHeartbeatTime
  };
  absl::Status MonitorNode(const minik8s::core::v1::Node& node, absl::Time now);
  absl::Status MarkPodsNotReady(const std::string& node_name);
  absl::Status EvictPods(const minik8s::core::v1::Node& node, absl::Time now);

  client::Lister<minik8s::core::v1::Node> nodes_;
  client::Lister<minik8s::coordination::v1::Lease> leases_;
  client::Lister<minik8s::core::v1::Pod> pods_;
  std::unique_ptr<NodeLifecycleClient> client_;
  client::EventRecorder* const recorder_;
  const NodeLifecycleOptions options_;
  common::Clock* const clock_;
  absl::flat_hash_map<std::string, Health> health_;  // MonitorOnce's thread only

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_NODELIFECYCLE_NODE_LIFECYCLE_CONTROLLER_H_
