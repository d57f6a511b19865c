#include "kubelet/image_manager.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/duration.h"
#include "kubelet/pod_status.h"

namespace minik8s::kubelet {

namespace core = ::minik8s::core::v1;
namespace cri = ::minik8s::cri::v1;

bool ImageManager::EnsureImage(const core::Pod& pod, const core::Container& c,
                               Backoff& pull_backoff, ContainerRecord& r, absl::Time now,
                               absl::Time* wake, const std::function<void()>& before_pull) {
  const std::string policy = ImagePullPolicyOf(c);
  const std::string& image = c.image();
  cri::ImageStatusRequest sreq;
  sreq.mutable_image()->set_image(image);
  auto st = runtime_->ImageStatus(sreq);
  if (!st.ok() && health_->RuntimeUnreachable(st.status())) return false;
  bool present = st.ok() && st->has_image();
  if (present && policy != "Always") {
    r.image_id = st->image().id();
    events_->Event(pod, c.name(), "Normal", "Pulled",
                   absl::StrCat("Container image \"", image, "\" already present on machine"));
    return true;
  }
  if (policy == "Never") {
    r.waiting_reason = "ErrImageNeverPull";
    r.waiting_message =
        absl::StrCat("Container image \"", image, "\" is not present with pull policy of Never");
    events_->Event(pod, c.name(), "Warning", "ErrImageNeverPull", r.waiting_message);
    *wake = std::min(*wake, now + never_pull_retry_);
    return false;
  }
  if (r.pull_failed_at != absl::Time() &&
      pull_backoff.IsInBackOffSince(image, r.pull_failed_at, now)) {
    r.waiting_reason = "ImagePullBackOff";
    r.waiting_message = absl::StrCat("Back-off pulling image \"", image, "\"");
    if (r.backoff_event_for != r.pull_failed_at) {
      events_->Event(pod, c.name(), "Normal", "BackOff", r.waiting_message);
      r.backoff_event_for = r.pull_failed_at;
    }
    *wake = std::min(*wake, r.pull_failed_at + pull_backoff.Get(image));
    return false;
  }
  // Only absent images are announced, so a node whose image is present
  // writes no extra status; a retry after a failed pull keeps showing
  // ImagePullBackOff.
  if (!present && r.pull_failed_at == absl::Time() && before_pull) before_pull();
  events_->Event(pod, c.name(), "Normal", "Pulling", absl::StrCat("Pulling image \"", image, "\""));
  absl::Time t0 = clock_->Now();
  cri::PullImageRequest preq;
  preq.mutable_image()->set_image(image);
  auto pulled = runtime_->PullImage(preq);
  absl::Time t1 = clock_->Now();
  if (!pulled.ok() && health_->RuntimeUnreachable(pulled.status())) return false;
  if (!pulled.ok()) {
    std::string msg =
        absl::StrCat("Failed to pull image \"", image, "\": ", pulled.status().message());
    events_->Event(pod, c.name(), "Warning", "Failed", msg);
    events_->Event(pod, c.name(), "Warning", "Failed", "Error: ErrImagePull");
    r.waiting_reason = "ErrImagePull";
    r.waiting_message = msg;
    absl::Duration d = pull_backoff.Next(image, t1);
    r.pull_failed_at = t1;
    // Sync again soon to show ImagePullBackOff, then when the back-off ends.
    *wake = std::min(*wake, t1 + std::min(d, absl::Seconds(1)));
    return false;
  }
  std::string took = FormatGoDuration(t1 - t0);
  events_->Event(pod, c.name(), "Normal", "Pulled",
                 absl::StrCat("Successfully pulled image \"", image, "\" in ", took, " (", took,
                              " including waiting)"));
  r.image_id = pulled->image_ref();
  r.pull_failed_at = absl::Time();
  pull_backoff.Reset(image);
  return true;
}

}  // namespace minik8s::kubelet
