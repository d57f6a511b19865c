// PodWorker: the kubelet's memory of one pod it runs — its sandbox, pod IP
// and, per container of the spec, the runtime instance it started, the
// previous instance (lastState) and back-off state. The PodSyncer reads and
// changes it (pod_syncer.h); the status it last reported is kept by the
// StatusManager and its probe state by the ProberManager, both by pod uid.
// The runtime labels below let a restarted kubelet rebuild it (adoption).
//
// Thread-compatible: the kubelet's work queue hands a pod's key to one
// worker thread at a time, and only that thread touches the PodWorker.
#ifndef MINIK8S_KUBELET_POD_WORKER_H_
#define MINIK8S_KUBELET_POD_WORKER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "cri/v1/api.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "kubelet/backoff.h"
#include "kubelet/pod_status.h"
#include "kubelet/volume_manager.h"
#include "runtime/runtime_client.h"

namespace minik8s::kubelet {

// Labels the kubelet puts on sandboxes and containers.
inline constexpr char kLabelPodUid[] = "io.kubernetes.pod.uid";
inline constexpr char kLabelPodName[] = "io.kubernetes.pod.name";
inline constexpr char kLabelPodNamespace[] = "io.kubernetes.pod.namespace";
inline constexpr char kLabelContainerName[] = "io.kubernetes.container.name";
inline constexpr char kLabelNodeName[] = "minik8s.io/node-name";
inline constexpr char kLabelInitContainer[] = "minik8s.io/init-container";
// Sandbox annotation holding the pod IP the kubelet allocated (the
// runtime's name for it: the runtime reports that IP back).
inline constexpr const char* kAnnotationPodIp = runtime::kPodIpAnnotation;

struct ContainerRecord {
  // The current runtime instance ("" when none was created yet) and its
  // attempt (= restartCount).
  std::string id;
  int attempt = -1;
  // Last known runtime status of `id`.
  std::optional<minik8s::cri::v1::ContainerStatus> status;
  // The runtime no longer has `id` (it restarted, or the container was
  // removed behind our back); `status` is the kubelet's last word on it.
  bool lost = false;
  // The instance before `id` (lastState).
  std::optional<TerminatedView> last_terminated;
  // Why no instance runs, when that is the case: ErrImagePull,
  // ImagePullBackOff, CrashLoopBackOff, CreateContainerError, ...
  std::string waiting_reason;
  std::string waiting_message;
  std::string image_id;
  // When the last image pull failed (image pull back-off is measured from it).
  absl::Time pull_failed_at;
  // Avoids repeating the BackOff event on every sync of one back-off wait.
  absl::Time backoff_event_for;
};

struct PodWorker {
  std::string key;  // namespace/name
  std::string uid;
  std::string node;  // the node the pod is bound to
  std::string sandbox_id;
  std::string pod_ip;
  // The runtime epoch (Kubelet::runtime_epoch_) in which the sandbox was
  // last seen alive.
  uint64_t runtime_epoch = 0;
  absl::Time start_time;
  // When this kubelet first saw the pod (zero for an adopted one), and
  // whether its start was counted in kubelet_pod_start_duration_seconds.
  absl::Time first_seen;
  bool start_observed = false;
  std::map<std::string, ContainerRecord> containers;  // by container name
  // The last version of the pod seen (for teardown after it vanished).
  minik8s::core::v1::Pod last_pod;
  Backoff crash_backoff;
  Backoff pull_backoff;
  // Volumes (volume_manager.h): volume name -> where it is on the host;
  // when they were last set up (zero: never); after a failure, the retry
  // time and delay.
  VolumePaths volume_dirs;
  absl::Time volumes_set_up_at;
  absl::Time volume_retry_at;
  absl::Duration volume_retry_delay;

  PodWorker(absl::Duration crash_initial, absl::Duration crash_max, absl::Duration pull_initial,
            absl::Duration pull_max)
      : crash_backoff(crash_initial, crash_max), pull_backoff(pull_initial, pull_max) {}
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_POD_WORKER_H_
