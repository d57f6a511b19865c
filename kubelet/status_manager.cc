#include "kubelet/status_manager.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "common/proto_equal.h"
#include "kubelet/pod_status.h"
#include "spdlog/spdlog.h"

namespace minik8s::kubelet {

namespace core = ::minik8s::core::v1;

namespace {

// The conditions of `status` the kubelet does not own, in order.
std::vector<const core::PodCondition*> ForeignConditions(const core::PodStatus& status) {
  std::vector<const core::PodCondition*> out;
  for (const core::PodCondition& c : status.conditions()) {
    if (!PodConditionByKubelet(c.type())) out.push_back(&c);
  }
  return out;
}

bool SameForeignConditions(const core::PodStatus& a, const core::PodStatus& b) {
  std::vector<const core::PodCondition*> x = ForeignConditions(a);
  std::vector<const core::PodCondition*> y = ForeignConditions(b);
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!common::ProtoEqual(*x[i], *y[i])) return false;
  }
  return true;
}

}  // namespace

std::optional<core::PodStatus> StatusManager::GetPodStatus(const std::string& uid) const {
  absl::MutexLock lock(&mu_);
  auto it = statuses_.find(uid);
  if (it == statuses_.end()) return std::nullopt;
  return it->second;
}

absl::Status StatusManager::SetPodStatus(const core::Pod& pod, const core::PodStatus& status) {
  const std::string& uid = pod.metadata().uid();
  std::optional<core::PodStatus> cached = GetPodStatus(uid);
  // The resourceVersion the write is conditional on ("" = none).
  std::string precondition;
  if (pod.spec().readiness_gates_size() > 0 || !ForeignConditions(pod.status()).empty() ||
      !ForeignConditions(status).empty()) {
    precondition = pod.metadata().resource_version();
  }
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
    if (write && !precondition.empty()) {
      // Conditions others own, taken from the caller's copy, are stale:
      // the sync from the newer copy (its informer event) writes instead.
      if (!SameForeignConditions(current->status(), status)) {
        return absl::AbortedError(
            absl::StrCat("pod ", pod.metadata().namespace_(), "/", pod.metadata().name(),
                         ": conditions the kubelet does not own changed since its copy"));
      }
      precondition = current->metadata().resource_version();
    }
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
  out.mutable_metadata()->set_resource_version(precondition);
  {
    absl::MutexLock lock(&mu_);
    ++writes_;
  }
  absl::Status updated = writer_->UpdatePodStatus(out);
  if (api::IsConflict(updated) && !precondition.empty()) {
    // The caller's copy is older than the apiserver's. When only the
    // kubelet's own writes came between, its conditions from others still
    // hold: write again on the current copy. Otherwise the sync from the
    // newer copy writes.
    {
      absl::MutexLock lock(&mu_);
      ++reads_;
    }
    absl::StatusOr<core::Pod> current =
        writer_->GetPod(pod.metadata().namespace_(), pod.metadata().name());
    if (api::IsNotFound(current.status())) return absl::OkStatus();
    if (!current.ok()) return current.status();
    if (current->metadata().uid() != uid) return absl::OkStatus();
    if (!SameForeignConditions(current->status(), status)) return updated;
    out.mutable_metadata()->set_resource_version(current->metadata().resource_version());
    {
      absl::MutexLock lock(&mu_);
      ++writes_;
    }
    updated = writer_->UpdatePodStatus(out);
  }
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
