#include "kubelet/status_manager.h"

#include "api/errors.h"
#include "kubelet/pod_status.h"
#include "spdlog/spdlog.h"

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
  bool write;
  if (!cached.has_value()) {
    write = !SameStatus(pod.status(), status);
  } else if (!SameStatus(*cached, status)) {
    write = true;
  } else if (SameStatus(pod.status(), status)) {
    write = false;
  } else {
    // Nothing changed on our side, but the caller's copy of the pod says
    // otherwise: someone else wrote its status, or the copy predates our
    // last write. Only the apiserver can tell which.
    {
      absl::MutexLock lock(&mu_);
      ++reads_;
    }
    absl::StatusOr<core::Pod> current =
        writer_->GetPod(pod.metadata().namespace_(), pod.metadata().name());
    if (api::IsNotFound(current.status())) return absl::OkStatus();  // its delete event follows
    if (!current.ok()) return current.status();
    // A new pod by that name is not ours to write; its own sync follows.
    if (current->metadata().uid() != uid) return absl::OkStatus();
    write = !SameStatus(current->status(), status);
    if (write) {
      spdlog::warn(
          "pod {}/{}: its status was changed behind the kubelet's back (phase \"{}\"); writing "
          "the kubelet's (phase \"{}\")",
          pod.metadata().namespace_(), pod.metadata().name(), current->status().phase(),
          status.phase());
    }
  }
  if (!write) {
    // Nothing the apiserver needs to learn; keep the newest form (its
    // condition times are the ones the next comparison starts from).
    absl::MutexLock lock(&mu_);
    statuses_[uid] = status;
    return absl::OkStatus();
  }
  core::Pod out = pod;
  *out.mutable_status() = status;
  out.mutable_metadata()->clear_resource_version();
  {
    absl::MutexLock lock(&mu_);
    ++writes_;
  }
  absl::Status updated = writer_->UpdatePodStatus(out);
  if (!updated.ok()) {
    if (api::IsNotFound(updated)) return absl::OkStatus();  // its delete event follows
    return updated;
  }
  absl::MutexLock lock(&mu_);
  statuses_[uid] = status;
  return absl::OkStatus();
}

bool StatusManager::NeedsReconcile(const core::Pod& pod) const {
  absl::MutexLock lock(&mu_);
  auto it = statuses_.find(pod.metadata().uid());
  return it != statuses_.end() && !SameStatus(it->second, pod.status());
}

int64_t StatusManager::writes() const {
  absl::MutexLock lock(&mu_);
  return writes_;
}

int64_t StatusManager::reads() const {
  absl::MutexLock lock(&mu_);
  return reads_;
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
