// ProberManager: the kubelet's probe state, as Kubernetes' prober manager
// (pkg/kubelet/prober) keeps it — for each container of each pod, the
// liveness, readiness and startup ProbeState (prober.h) of its current
// instance, with their periods and thresholds on the times the caller
// passes (the kubelet's Clock).
//
// Unlike Kubernetes (a goroutine per probe) probing is driven by the pod's
// worker: each sync of a running container calls Probe(), which runs the
// checks that are due (RunProbe, prober.h), records Unhealthy events, and
// lowers `*wake` to the next probe's time so the worker comes back then.
// Startup gates liveness and readiness as in Kubernetes: they run only once
// the startup probe succeeded. A failed liveness or startup probe is
// reported as the verdict; killing the container is the caller's step.
//
// State is per container *instance*: a new instance id (a restart) starts
// fresh probes from that instance's start time; RemoveContainer drops the
// state when an instance goes (restart, lost) and RemovePod when the pod
// does.
//
// Thread safety: every method is safe from any thread. One pod's entries
// are used by one thread at a time (its pod worker); different pods' run in
// parallel. The runtime client and the recorders must outlive the manager.
#ifndef MINIK8S_KUBELET_PROBER_MANAGER_H_
#define MINIK8S_KUBELET_PROBER_MANAGER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "k8s/core/v1/core.pb.h"
#include "kubelet/pod_sync_host.h"
#include "kubelet/prober.h"
#include "runtime/runtime_client.h"

namespace minik8s::kubelet {

class ProberManager {
 public:
  enum class Verdict {
    kOk,              // nothing failed (or nothing was due)
    kLivenessFailed,  // the liveness probe reached its failure threshold
    kStartupFailed,   // the startup probe reached its failure threshold
    kNoAnswer,        // the runtime did not answer: nothing was recorded
  };

  // What the pod status needs from the probes of a running container.
  struct ContainerProbes {
    bool started = false;  // no startup probe, or it succeeded
    bool ready = false;    // started, and no readiness probe or it succeeded
  };

  ProberManager(runtime::RuntimeClient* runtime, PodEventRecorder* events, RuntimeHealth* health)
      : runtime_(runtime), events_(events), health_(health) {}
  ProberManager(const ProberManager&) = delete;
  ProberManager& operator=(const ProberManager&) = delete;

  // Runs the probes of `c` that are due at `now`, for its running instance
  // `container_id` (started at `started`; zero: `now`) in the pod's sandbox
  // at `pod_ip` (network probes go there, RunProbe). Lowers `*wake` to the
  // next probe due.
  Verdict Probe(const minik8s::core::v1::Pod& pod, const minik8s::core::v1::Container& c,
                const std::string& container_id, const std::string& pod_ip, absl::Time started,
                absl::Time now, absl::Time* wake);

  // The probe results of `c` in pod `uid` as the status shows them. With no
  // state (not probed yet, or dropped): started unless it has a startup
  // probe, ready when also without a readiness probe.
  ContainerProbes Results(const std::string& uid, const minik8s::core::v1::Container& c) const;

  // Drops the probe state of one container (its instance is gone) / a pod.
  void RemoveContainer(const std::string& uid, const std::string& container);
  void RemovePod(const std::string& uid);

  // Pods with probe state (for tests).
  size_t NumPods() const;

 private:
  struct Probes {
    std::string instance;  // the container id the states belong to
    std::unique_ptr<ProbeState> liveness, readiness, startup;
  };
  using PodProbes = std::map<std::string, Probes>;  // by container name

  // The pod's entry (created when `create`); stable until RemovePod.
  PodProbes* Find(const std::string& uid, bool create) const;

  runtime::RuntimeClient* const runtime_;
  PodEventRecorder* const events_;
  RuntimeHealth* const health_;
  mutable absl::Mutex mu_;
  // node_hash_map: a pod's PodProbes stays put while other pods come and go.
  mutable absl::node_hash_map<std::string, PodProbes> pods_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_PROBER_MANAGER_H_
