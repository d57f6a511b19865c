// PodSyncer: the kubelet's per-pod sync — it compares one pod with what the
// runtime runs for it and takes the next steps (sandbox, image pull by
// policy, create and start, probes, restart with CrashLoopBackOff, status,
// graceful teardown), on the kubelet's Clock, so unit tests drive it on a
// FakeClock without sleeping.
//
// It owns the kubelet's per-pod managers, as Kubernetes' kubelet holds
// them: a StatusManager (the status last reported per pod; writes only on
// change), a ProberManager (probe state and periods per container) and an
// ImageManager (pull policy, pull back-off and pull Events). ForgetPod drops
// a pod from them when its worker goes. With a VolumeManager
// (PodSyncerOptions::volumes) the pod's secret, configMap, downwardAPI and
// projected volumes are written before its sandbox is made (a failure keeps
// it ContainerCreating, with a FailedMount Event, retried with back-off),
// each container gets a CRI mount per volumeMount of them, and ForgetPod
// removes the pod's folder.
//
// What it needs from the kubelet around it (the apiserver, Events, pod IPs,
// the runtime's health) comes through PodSyncHost (pod_sync_host.h); the
// Kubelet implements it, tests fake it.
//
// Thread safety: SyncRunningPod/TerminatePod/TeardownPod may run on several
// threads at once for different PodWorkers; one PodWorker is used by one
// thread at a time (the kubelet's work queue guarantees it). The host, the
// runtime client and the clock must outlive the PodSyncer.
#ifndef MINIK8S_KUBELET_POD_SYNCER_H_
#define MINIK8S_KUBELET_POD_SYNCER_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "k8s/core/v1/core.pb.h"
#include "kubelet/image_manager.h"
#include "kubelet/pod_status.h"
#include "kubelet/pod_sync_host.h"
#include "kubelet/pod_worker.h"
#include "kubelet/prober_manager.h"
#include "kubelet/status_manager.h"
#include "kubelet/volume_manager.h"
#include "runtime/runtime_client.h"

namespace minik8s::kubelet {

// Pod termination grace period when neither the deletion nor the spec says.
inline constexpr int64_t kDefaultTerminationGraceSeconds = 30;

struct PodSyncerOptions {
  // A container that ran this long before exiting restarts without delay.
  absl::Duration crash_loop_backoff_reset = absl::Minutes(10);
  // How soon a pod whose image may never be pulled is looked at again.
  absl::Duration image_pull_backoff_initial = absl::Seconds(10);
  // Borrowed; null: pod volumes are not written (nor mounted). Must outlive
  // the PodSyncer.
  VolumeManager* volumes = nullptr;
  // How often a pod's volumes are written again (ConfigMap and Secret
  // changes, token renewal), as Kubernetes' kubelet resyncs every pod each
  // --sync-frequency (1m).
  absl::Duration volume_resync_period = absl::Minutes(1);
  // The retry delay after a failed volume set-up: doubles up to the max.
  absl::Duration volume_retry_initial = absl::Seconds(1);
  absl::Duration volume_retry_max = absl::Seconds(30);
};

class PodSyncer {
 public:
  PodSyncer(runtime::RuntimeClient* runtime, common::Clock* clock, PodSyncHost* host,
            PodSyncerOptions options);

  // Syncs a pod that is not being deleted; sets `*requeue_after` when the
  // pod must be looked at again at a known time (a probe, a back-off's end).
  absl::Status SyncRunningPod(PodWorker& w, const minik8s::core::v1::Pod& pod,
                              absl::Duration* requeue_after);
  // Tears the pod down within its grace period, then deletes it for good.
  absl::Status TerminatePod(PodWorker& w, const minik8s::core::v1::Pod& pod);
  // Stops the pod's containers (KillContainer: preStop hook, then the
  // stop; each gets what is left of `grace_seconds`, counted from the
  // call; in parallel when one has a preStop hook), then its sandbox, and
  // releases its IP.
  void TeardownPod(PodWorker& w, int64_t grace_seconds, bool record_events);
  // The pod's worker is gone: drop its cached status and probe state.
  void ForgetPod(const PodWorker& w);

  StatusManager& status_manager() { return status_; }
  ProberManager& prober_manager() { return prober_; }

  // Pods of this syncer with a sandbox (adopted ones are counted through
  // SandboxAdopted); mirrored into the kubelet_running_pods gauge.
  int64_t running_pods() const { return running_pods_.load(); }
  void SandboxAdopted();
  // Takes this syncer's pods out of kubelet_running_pods (on destruction).
  ~PodSyncer();

 private:
  bool EnsureSandbox(PodWorker& w, const minik8s::core::v1::Pod& pod);
  // Writes the pod's volumes when that is due (first sync, resync period,
  // retry after a failure; FailedMount Event on failure). Returns whether
  // they were written once: containers may be created.
  bool SetUpVolumes(PodWorker& w, const minik8s::core::v1::Pod& pod, absl::Time now,
                    absl::Time* wake);
  void RefreshContainer(ContainerRecord& r);
  // The runtime no longer has instance r.id: keep what is known of it as an
  // exited status (ContainerStatusUnknown, 137, if it had not exited). Its
  // probe state is not consulted again (probes run only for a running
  // instance) and is replaced when the next instance starts.
  void MarkLost(ContainerRecord& r);
  // Whether the pod's sandbox is still READY in the runtime (asked once per
  // runtime epoch, or when `suspect`). Unavailable counts as present.
  bool SandboxAlive(PodWorker& w, bool suspect);
  // The sandbox is gone or broken: kill what still runs in it, remove it,
  // release the IP (EnsureSandbox makes the next one, in which init
  // containers run again).
  void ResetSandbox(PodWorker& w, const minik8s::core::v1::Pod& pod);
  // Container `c`'s environment: env in order, values from the pod's fields
  // and from ConfigMap and Secret keys (VolumeManager::EnvValue).
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ContainerEnv(
      const PodWorker& w, const minik8s::core::v1::Pod& pod, const minik8s::core::v1::Container& c);
  // Pull (by policy), create and start the next instance of `c`. Returns
  // false when it did not get there (the record says why).
  bool StartContainer(PodWorker& w, const minik8s::core::v1::Pod& pod,
                      const minik8s::core::v1::Container& c, bool init, ContainerRecord& r,
                      absl::Time now, absl::Time* wake);
  // Stops instance r.id of container `spec` (null: not in the spec) as
  // Kubernetes' killContainer does: its preStop hook first, if it has one
  // and there is time before `deadline` (FailedPreStopHook Event when it
  // fails), then the stop with what is left until `deadline` (at least 2 s
  // after a hook). The caller records the Killing Event.
  void KillContainer(const minik8s::core::v1::Pod& pod, const minik8s::core::v1::Container* spec,
                     ContainerRecord& r, const std::string& pod_ip, absl::Time deadline);
  // Runs the probes that are due (ProberManager); true if liveness or
  // startup failed and the instance was killed.
  bool RunProbes(const minik8s::core::v1::Pod& pod, const minik8s::core::v1::Container& c,
                 ContainerRecord& r, const std::string& pod_ip, absl::Time now, absl::Time* wake);
  ContainerView ViewOf(const PodWorker& w, const minik8s::core::v1::Container& c,
                       const ContainerRecord& r, bool init, bool init_pending) const;
  // Computes the pod's status from what the worker knows (condition
  // times taken now) and hands it to the StatusManager, which writes it if
  // it changed. `finished_phase`, when not empty, is kept as the phase.
  absl::Status ReportStatus(PodWorker& w, const minik8s::core::v1::Pod& pod, bool sandbox_ready,
                            const std::string& finished_phase);
  // kubelet_pod_start_duration_seconds: observed once per pod, when its
  // reported phase first becomes Running, from when the kubelet first saw it.
  void ObservePodStart(PodWorker& w);
  void SandboxCreated();
  void SandboxRemoved();

  runtime::RuntimeClient* const runtime_;
  common::Clock* const clock_;
  PodSyncHost* const host_;
  const PodSyncerOptions options_;
  StatusManager status_;
  ProberManager prober_;
  ImageManager images_;
  std::atomic<int64_t> running_pods_{0};
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_POD_SYNCER_H_
