// StatusManager: the kubelet's cache of the pod statuses it reports, as
// Kubernetes' status manager (pkg/kubelet/status) keeps one: for each pod
// (by uid) the status last written to the apiserver, or seen there when a
// computed status did not differ from it. SetPodStatus writes through
// PodStatusWriter when the new status differs (SameStatus, pod_status.h)
// from the cached one — or, before anything is cached, from the status the
// pod carries — so a pod whose containers do not change costs no apiserver
// write however often it is synced.
//
// The apiserver's copy is reconciled too, as Kubernetes' status manager
// does: the kubelet owns a pod's status, so a status someone else wrote
// there (a client forging `phase: Failed`, say) is overwritten with the
// kubelet's. When the pod handed to SetPodStatus (the kubelet's informer
// copy) carries a status other than the cached one, the pod is read from
// the apiserver itself and the status written again if it differs there as
// well; an informer copy that is merely behind the kubelet's own last write
// costs that one read and no write. NeedsReconcile tells the kubelet which
// pods to sync for this (its informer handler and a periodic pass ask).
//
// Conditions the kubelet does not own (a readiness gate's, which a
// controller sets through pods/status) travel in the status computed from
// the caller's copy of the pod (pod_status.h), so for a pod with readiness
// gates or such conditions the write is conditional on that copy's
// resourceVersion: a condition written in the apiserver since is never
// overwritten with an older one. On a conflict the pod is read; if only
// the kubelet's own writes came between (the conditions from others are
// the same), the status is written again on the current copy, else the
// conflict is returned and the sync from the newer copy writes. Other pods
// are written unconditionally, as before.
//
// Writes are synchronous (the pod worker that computed the status makes
// them and retries a failed one on its next sync). A pod the apiserver no
// longer has (NotFound) is not an error: its delete event follows.
//
// Thread safety: every method is safe from any thread; the cache is locked
// only around lookups, never across the apiserver calls. Calls of
// SetPodStatus for one pod are serialised by its pod worker (one thread at
// a time), so two writes of one pod never race. The writer must outlive the
// StatusManager.
#ifndef MINIK8S_KUBELET_STATUS_MANAGER_H_
#define MINIK8S_KUBELET_STATUS_MANAGER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "k8s/core/v1/core.pb.h"
#include "kubelet/pod_sync_host.h"

namespace minik8s::kubelet {

class StatusManager {
 public:
  explicit StatusManager(PodStatusWriter* writer) : writer_(writer) {}
  StatusManager(const StatusManager&) = delete;
  StatusManager& operator=(const StatusManager&) = delete;

  // The status cached for the pod with `uid` (nullopt: none yet).
  std::optional<minik8s::core::v1::PodStatus> GetPodStatus(const std::string& uid) const;

  // Makes `status` the pod's status: written to the apiserver when it
  // differs from the cached one, or when it equals the cached one but
  // neither `pod`'s status nor the apiserver's (read with GetPod) is
  // `status`; then cached. The write has no resourceVersion precondition
  // unless conditions others own are involved (above). On a failed read or
  // write the cache keeps the old status and the error is returned
  // (NotFound counts as done, and caches nothing).
  absl::Status SetPodStatus(const minik8s::core::v1::Pod& pod,
                            const minik8s::core::v1::PodStatus& status);

  // Whether `pod` (the apiserver's copy, as the informer has it) carries a
  // status other than the one cached for its uid: someone else wrote it, or
  // the copy is older than the kubelet's last write. False when nothing is
  // cached for the pod (its first sync compares with its own status).
  bool NeedsReconcile(const minik8s::core::v1::Pod& pod) const;

  // Status writes and confirming reads made so far (for tests and logs).
  int64_t writes() const;
  int64_t reads() const;

  // Forgets the pod (it was torn down or deleted).
  void RemovePod(const std::string& uid);

  // Pods with a cached status.
  size_t NumPods() const;

 private:
  PodStatusWriter* const writer_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, minik8s::core::v1::PodStatus> statuses_ ABSL_GUARDED_BY(mu_);
  int64_t writes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_STATUS_MANAGER_H_
