// Kubelet: runs the pods bound to one node — or to N simulated nodes in one
// process (scale mode) — on a container runtime reached through
// RuntimeClient.
//
// Pieces (one of each per Kubelet, shared by all its nodes):
//   - heartbeats (NodeHeartbeat, node_heartbeat.h, through the NodeApi the
//     Kubelet implements): registers each Node (create, or update
//     labels/taints/podCIDR of an existing one), reports node status
//     (NodeStatusSync, node_status_sync.h: rebuilt every
//     node_status_update_frequency and written when the apiserver's copy,
//     as a node informer holds it, differs — so a status someone else wrote
//     is corrected within one period — or every
//     node_status_report_frequency), and renews the node's Lease in
//     kube-node-lease;
//   - a pod informer (field selector spec.nodeName=<node>, or every bound
//     pod filtered locally in scale mode) whose handlers only enqueue the
//     pod key;
//   - pod workers (PodWorkers, pod_workers.h): `workers` threads draining a
//     work queue of pod keys, one sync of a pod at a time; SyncPod (pod_sync.cc) finds the pod,
//     admits a pod it sees for the first time (admission.h: a rejected pod is
//     marked Failed and never run) and hands it with its PodWorker to the
//     PodSyncer (pod_syncer.h), which is level-triggered — it
//     compares the pod with the runtime, takes the next steps (sandbox,
//     image by the ImageManager, create, start, probes by the
//     ProberManager, restart with back-off, stop) and hands the pod status
//     to the StatusManager, which writes it when it changed; the worker then
//     re-queues the pod for the next probe or back-off expiry;
//   - a relister (PLEG): every relist_period asks the runtime for its
//     Status, then lists its containers and enqueues the pods whose
//     containers changed state or vanished;
//   - pod status reconciliation: a pod whose status in the informer differs
//     from the one the StatusManager holds (someone else wrote it) is
//     enqueued, at once by the informer's update handler and, as a
//     backstop, by a pass over the informer every status_sync_period; its
//     sync writes the kubelet's status back (status_manager.h).
// PodWorkers never sync one pod on two threads, so a pod's PodWorker has a
// single user at a time.
//
// Start() adopts what the runtime already runs for these nodes (sandboxes
// and containers carry pod uid/name/namespace, container name and node
// labels), so a restarted kubelet neither starts duplicates nor loses pods.
// Pods missing from the apiserver are torn down only once the informer has
// synced. While the apiserver is unreachable, pods keep running and status
// writes are retried until it returns.
//
// The runtime going away: while it does not answer (or reports
// RuntimeReady=false) pod syncs are skipped — no status writes, no probes,
// no restarts — and the nodes report Ready=False, KubeletNotReady,
// "container runtime is down". When it answers again every pod is synced.
// A runtime that restarted (new boot id in its Status, see
// runtime_client.h) has lost every sandbox and container, like a rebooted
// node: each pod whose containers vanished gets a new sandbox
// (SandboxChanged) and its containers are handled as Kubernetes handles a
// container it cannot locate — terminated with ContainerStatusUnknown, exit
// code 137 — then restarted at once when the restartPolicy says so
// (restartCount + 1, that instance as lastState); a Never pod goes Failed.
//
// Events go through client::EventRecorder (component "kubelet", aggregated
// into counts); source.host is the node name (in scale mode filled in per
// Event by a NodeEventSink).
//
// Every timer (heartbeats, relist, back-off, probes, grace periods) runs on
// options.clock, so tests can drive the kubelet on a FakeClock.
//
// Metrics (process-wide registry, common/metrics.h): kubelet_running_pods,
// kubelet_pod_start_duration_seconds (see pod_syncer.h).
//
// Thread safety: Start/Stop from one thread; everything else is internal.
// Stop() leaves containers running (like a real kubelet). The Clientset,
// RuntimeClient and EventSink must outlive the Kubelet.
#ifndef MINIK8S_KUBELET_KUBELET_H_
#define MINIK8S_KUBELET_KUBELET_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "client/clientset.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/workqueue.h"
#include "common/clock.h"
#include "kubelet/admission.h"
#include "kubelet/ip_allocator.h"
#include "kubelet/node_event_sink.h"
#include "kubelet/node_heartbeat.h"
#include "kubelet/node_status.h"
#include "kubelet/node_status_sync.h"
#include "kubelet/pod_syncer.h"
#include "kubelet/pod_worker.h"
#include "kubelet/pod_workers.h"
#include "kubelet/token_manager.h"
#include "kubelet/volume_manager.h"
#include "runtime/runtime_client.h"

namespace minik8s::kubelet {

struct KubeletOptions {
  std::vector<NodeConfig> nodes;  // at least one
  absl::Duration node_lease_renew_interval = absl::Seconds(10);
  int node_lease_duration_seconds = 40;
  absl::Duration node_status_update_frequency = absl::Seconds(10);
  absl::Duration node_status_report_frequency = absl::Minutes(5);
  absl::Duration relist_period = absl::Seconds(1);
  // How often every pod's status in the informer is compared with the
  // StatusManager's (Kubernetes' status manager syncs its batch every 10 s).
  absl::Duration status_sync_period = absl::Seconds(10);
  absl::Duration crash_loop_backoff_initial = absl::Seconds(10);
  absl::Duration crash_loop_backoff_max = absl::Minutes(5);
  // A container that ran this long before exiting restarts without delay.
  absl::Duration crash_loop_backoff_reset = absl::Minutes(10);
  absl::Duration image_pull_backoff_initial = absl::Seconds(10);
  absl::Duration image_pull_backoff_max = absl::Minutes(5);
  int workers = 8;
  int heartbeat_workers = 2;
  // Events queued for the apiserver before new ones are dropped.
  size_t event_queue_size = 10000;
  // Borrowed; must outlive the Kubelet. Null: the process-wide real clock.
  common::Clock* clock = nullptr;
  // Where pod volumes are written (<root_dir>/pods/<uid>/volumes/...;
  // volume_manager.h). Kubernetes' --root-dir.
  std::string root_dir = kDefaultRootDir;
  // How often a pod's volumes are written again (ConfigMap/Secret changes,
  // token renewal) and how long a ConfigMap or Secret read is reused.
  absl::Duration volume_resync_period = absl::Minutes(1);
  absl::Duration volume_object_ttl = absl::Seconds(10);
  // Borrowed; null: a ServiceAccountTokenClient on the clientset's
  // ApiClient (the gRPC API).
  client::ServiceAccountTokenRequester* token_requester = nullptr;
};

class Kubelet : private PodSyncHost, private NodeApi, private NodeStatusApi {
 public:
  // `events`: where Events are written (client::NewApiEventSink, or a fake).
  Kubelet(const client::Clientset* clientset, runtime::RuntimeClient* runtime,
          client::EventSink* events, KubeletOptions options);
  ~Kubelet() override;  // Stop()
  Kubelet(const Kubelet&) = delete;
  Kubelet& operator=(const Kubelet&) = delete;

  // Adopts running pods, starts heartbeats, the informer, workers and the
  // relister. Fails only on a bad configuration (e.g. a pod CIDR).
  absl::Status Start();
  void Stop();

  // For tests and the benchmark: pods with a worker right now.
  int NumPodWorkers() const;
  // Whether the pod informer has synced.
  bool HasSynced() const;
  // Whether the runtime answered the last check.
  bool RuntimeReady() const override { return runtime_ready_.load(); }
  // Waits until every Event recorded so far was written (or dropped).
  void FlushEvents();

 private:
  struct NodeState {
    NodeConfig config;
    std::optional<IpAllocator> ips;  // guarded by Kubelet::mu_
    // The Node's uid (written by the status loop, read by the lease loop).
    mutable absl::Mutex uid_mu;
    std::string uid ABSL_GUARDED_BY(uid_mu);
    // Heartbeat fields: only the loop named touches them (NodeHeartbeat
    // never runs one loop of a node on two threads). Status loop:
    std::unique_ptr<NodeStatusSync> status_sync;
    // Lease loop: the Lease as last written (its resourceVersion makes the
    // next renewal a single Update; a conflict drops it and re-reads).
    std::optional<minik8s::coordination::v1::Lease> lease;
  };

  // NodeApi (the heartbeats' apiserver side).
  absl::Status RegisterNode(const std::string& node) override;
  absl::Status SyncNodeStatus(const std::string& node) override;
  absl::Status RenewLease(const std::string& node) override;
  // NodeStatusApi (NodeStatusSync's apiserver side).
  absl::StatusOr<minik8s::core::v1::Node> CachedNode(const std::string& name) override;
  absl::StatusOr<minik8s::core::v1::Node> GetNode(const std::string& name) override;
  absl::StatusOr<minik8s::core::v1::Node> UpdateNodeStatus(
      const minik8s::core::v1::Node& node) override;

  // Pods (pod_sync.cc).
  absl::Status SyncPod(const std::string& key, absl::Duration* requeue_after);
  // A pod this node does not admit (admission.h): a Warning Event, and its
  // status written as rejected (phase Failed).
  absl::Status RejectPod(const minik8s::core::v1::Pod& pod, const PodAdmitResult& admit);

  // PodSyncHost (pod_sync.cc, and RuntimeUnreachable in kubelet.cc).
  void Event(const minik8s::core::v1::Pod& pod, const std::string& container,
             const std::string& type, const std::string& reason,
             const std::string& message) override;
  absl::StatusOr<std::string> AllocatePodIp(const std::string& node) override;
  void ReleasePodIp(const std::string& node, const std::string& ip) override;
  std::string HostIp(const std::string& node) override;
  std::string NodeAllocatable(const std::string& node, const std::string& resource) override;
  absl::Status UpdatePodStatus(const minik8s::core::v1::Pod& pod) override;
  absl::StatusOr<minik8s::core::v1::Pod> GetPod(const std::string& ns,
                                                const std::string& name) override;
  absl::Status DeletePod(const minik8s::core::v1::Pod& pod) override;
  uint64_t RuntimeEpoch() override { return runtime_epoch_.load(); }

  // Runtime.
  absl::Status Adopt();
  void RelistLoop();
  void Relist();
  // Stop() has begun: queued work is left undone.
  bool Stopping() const;
  // Asks the runtime for its Status; tracks readiness and restarts (a new
  // boot id bumps runtime_epoch_). Returns whether it is ready.
  bool CheckRuntime();
  bool RuntimeUnreachable(const absl::Status& s) override;
  // "" when ready, else the node's Ready message ("container runtime is down").
  std::string RuntimeError() const;
  // Enqueues every pod with a worker and every pod of our nodes in the cache.
  void EnqueueAllPods();
  // Every status_sync_period: enqueues the pods whose status in the
  // informer is not the StatusManager's.
  void StatusSyncLoop();

  NodeState* FindNode(const std::string& name) const;
  static void SetUid(NodeState& n, const std::string& uid);
  static std::string UidOf(const NodeState& n);
  void EnqueuePod(const minik8s::core::v1::Pod& pod);

  const client::Clientset* const clientset_;
  runtime::RuntimeClient* const runtime_;
  const KubeletOptions options_;
  common::Clock* const clock_;  // options_.clock or the real clock
  // Pod volumes: the apiserver reads, the token client (when not given),
  // the token cache, the writer. Made before syncer_, which borrows them.
  std::unique_ptr<VolumeObjectApi> volume_api_;
  std::unique_ptr<client::ServiceAccountTokenRequester> token_client_;
  std::unique_ptr<TokenManager> tokens_;
  std::unique_ptr<VolumeManager> volumes_;
  std::unique_ptr<PodSyncer> syncer_;
  // Scale mode only: fills in each Event's node (see node_event_sink.h).
  std::unique_ptr<NodeEventSink> node_events_;
  std::unique_ptr<client::EventRecorder> recorder_;

  // Fixed after construction.
  std::map<std::string, std::unique_ptr<NodeState>> nodes_;

  std::unique_ptr<client::Informer<minik8s::core::v1::Pod>> informer_;
  // Our Nodes (one by name, or all in scale mode): the apiserver's copy the
  // node status is compared with. Set before the heartbeats start.
  std::unique_ptr<client::Informer<minik8s::core::v1::Node>> node_informer_;
  std::unique_ptr<PodWorkers> pod_workers_;
  std::unique_ptr<NodeHeartbeat> heartbeat_;

  // Guards the nodes' IP allocators.
  mutable absl::Mutex mu_;

  // Relister state (relist thread only): container id -> state and pod key.
  struct SeenContainer {
    int state = 0;
    std::string pod_key;
  };
  absl::flat_hash_map<std::string, SeenContainer> seen_containers_;

  // Runtime health. The relister owns boot_id_ (Start sets it first).
  std::atomic<bool> runtime_ready_{true};
  // Bumped whenever the runtime is found restarted; each PodWorker checks
  // its sandbox once per epoch.
  std::atomic<uint64_t> runtime_epoch_{0};
  std::string boot_id_;
  mutable absl::Mutex runtime_mu_;
  std::string runtime_error_ ABSL_GUARDED_BY(runtime_mu_);

  mutable absl::Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  bool started_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_KUBELET_H_
