#include "bench/cluster/pod_tracker.h"

#include <utility>

#include "absl/time/clock.h"
#include "api/time.h"

namespace minik8s::bench {

using minik8s::core::v1::Pod;

PodTracker::PodTracker(client::ApiClient* api, std::string ns, std::string label_selector)
    : informer_(api, {.name = "cluster-bench-pods",
                      .namespace_ = std::move(ns),
                      .label_selector = std::move(label_selector)}) {
  informer_.AddEventHandler({
      .on_add = [this](const auto& pod) { Observe(*pod); },
      .on_update = [this](const auto&, const auto& pod) { Observe(*pod); },
      .on_delete =
          [this](const auto&, bool) {
            absl::MutexLock l(&mu_);
            ++counts_.deleted;
          },
  });
}

PodTracker::~PodTracker() { Stop(); }

absl::Status PodTracker::Start(absl::Duration sync_timeout) {
  informer_.Start();
  if (!informer_.WaitForCacheSync(sync_timeout)) {
    return absl::DeadlineExceededError("the pod watch did not sync (list failed)");
  }
  return absl::OkStatus();
}

void PodTracker::Stop() { informer_.Stop(); }

void PodTracker::Observe(const Pod& pod) {
  const absl::Time now = absl::Now();
  absl::MutexLock l(&mu_);
  auto [it, inserted] = pods_.try_emplace(pod.metadata().name());
  PodTimes& t = it->second;
  if (inserted) {
    t.name = pod.metadata().name();
    t.seen = now;
    if (pod.metadata().has_creation_timestamp()) {
      t.creation_timestamp = api::FromProtoTime(pod.metadata().creation_timestamp());
    }
    ++counts_.created;
  }
  if (t.scheduled == absl::InfiniteFuture() && !pod.spec().node_name().empty()) {
    t.scheduled = now;
    ++counts_.scheduled;
  }
  if (t.running == absl::InfiniteFuture() && pod.status().phase() == "Running") {
    t.running = now;
    ++counts_.running;
  }
  if (t.failed == absl::InfiniteFuture() && pod.status().phase() == "Failed") {
    t.failed = now;
    ++counts_.failed;
  }
}

PodTracker::Counts PodTracker::counts() const {
  absl::MutexLock l(&mu_);
  return counts_;
}

bool PodTracker::AwaitRunning(int n, absl::Duration timeout) const {
  absl::MutexLock l(&mu_);
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return counts_.running >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

std::vector<PodTimes> PodTracker::Snapshot() const {
  absl::MutexLock l(&mu_);
  std::vector<PodTimes> out;
  out.reserve(pods_.size());
  for (const auto& [name, t] : pods_) out.push_back(t);
  return out;
}

}  // namespace minik8s::bench
