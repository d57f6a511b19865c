#include "kubelet/status_manager.h"

#include "api/errors.h"
#include "kubelet/pod_status.h"

namespace minik8s::kubelet {

namespace core = ::minik8s::core::v1;

std::optional<core::PodStatus> StatusManager::GetPodStatus(const std::string& uid) const {
  absl::MutexLock lock(&mu_);
  auto it = statuses_.find(uid);
  if (it == statuses_.end()) return std::nullopt;
  return it->second;
}

absl::Status StatusManager::SetPodStatus(const core::Pod& pod, const core::PodStatus& status) {
  const std::string& uid = pod.metadata().uid();
  std::optional<core::PodStatus> cached = GetPodStatus(uid);
  if (cached ? SameStatus(*cached, status) : SameStatus(pod.status(), status)) {
    // Nothing the apiserver needs to learn; keep the newest form (its
    // condition times are the ones the next comparison starts from).
    absl::MutexLock lock(&mu_);
    statuses_[uid] = status;
    return absl::OkStatus();
  }
  core::Pod out = pod;
  *out.mutable_status() = status;
  out.mutable_metadata()->clear_resource_version();
  absl::Status updated = writer_->UpdatePodStatus(out);
  if (!updated.ok()) {
    if (api::IsNotFound(updated)) return absl::OkStatus();  // its delete event follows
    return updated;
  }
  absl::MutexLock lock(&mu_);
  statuses_[uid] = status;
  return absl::OkStatus();
}

void StatusManager::RemovePod(const std::string& uid) {
  absl::MutexLock lock(&mu_);
  statuses_.erase(uid);
}

size_t StatusManager::NumPods() const {
  absl::MutexLock lock(&mu_);
  return statuses_.size();
}

}  // namespace minik8s::kubelet
