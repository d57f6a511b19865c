// ImageManager: makes sure a container's image is on the node before the
// container is created, as Kubernetes' image manager (pkg/kubelet/images)
// does:
//   - pull policy (ImagePullPolicyOf, pod_status.h): IfNotPresent pulls
//     only an absent image, Always pulls every time, Never never pulls
//     (ErrImageNeverPull while the image is absent);
//   - a failed pull sets ErrImagePull, and the next attempts wait out an
//     exponential back-off (ImagePullBackOff) kept per pod and image in the
//     pod's PodWorker (Backoff, backoff.h);
//   - Events with Kubernetes' reasons and messages: Pulling, Pulled
//     ("already present on machine" / "Successfully pulled ... in <d>"),
//     Failed, BackOff, ErrImageNeverPull.
// The runtime is the truth on which images are present: ImageStatus is
// asked at every attempt, so an image removed behind the kubelet's back is
// pulled again.
//
// Times come from the kubelet's Clock (the pull's duration, back-off), so
// tests drive back-off on a FakeClock.
//
// Thread safety: EnsureImage may run on several threads at once for
// different containers; the ContainerRecord and Backoff passed belong to
// the caller's pod worker. The runtime client, clock and recorders must
// outlive the manager.
#ifndef MINIK8S_KUBELET_IMAGE_MANAGER_H_
#define MINIK8S_KUBELET_IMAGE_MANAGER_H_

#include <functional>

#include "absl/time/time.h"
#include "common/clock.h"
#include "k8s/core/v1/core.pb.h"
#include "kubelet/backoff.h"
#include "kubelet/pod_sync_host.h"
#include "kubelet/pod_worker.h"
#include "runtime/runtime_client.h"

namespace minik8s::kubelet {

class ImageManager {
 public:
  // `never_pull_retry`: how soon a container whose image may never be
  // pulled is looked at again.
  ImageManager(runtime::RuntimeClient* runtime, common::Clock* clock, PodEventRecorder* events,
               RuntimeHealth* health, absl::Duration never_pull_retry)
      : runtime_(runtime),
        clock_(clock),
        events_(events),
        health_(health),
        never_pull_retry_(never_pull_retry) {}

  // Ensures `c`'s image is present by its pull policy. True when it is:
  // `r.image_id` is the image's id and the pull back-off is cleared. False
  // when not (yet): `r.waiting_reason`/`waiting_message` say why unless the
  // runtime is unreachable, and `*wake` is lowered to when it is worth
  // trying again. `before_pull` runs once before the first pull of an
  // absent image (the kubelet reports ContainerCreating then).
  bool EnsureImage(const minik8s::core::v1::Pod& pod, const minik8s::core::v1::Container& c,
                   Backoff& pull_backoff, ContainerRecord& r, absl::Time now, absl::Time* wake,
                   const std::function<void()>& before_pull);

 private:
  runtime::RuntimeClient* const runtime_;
  common::Clock* const clock_;
  PodEventRecorder* const events_;
  RuntimeHealth* const health_;
  const absl::Duration never_pull_retry_;
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_IMAGE_MANAGER_H_
