#include "testing/rollout_observer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/watch.h"
#include "testing/fake_kubelet.h"

namespace minik8s::testing {

RolloutObserver::RolloutObserver(client::Clientset* cs, std::string ns, std::string selector,
                                 int max_replicas, int min_ready)
    : cs_(cs),
      ns_(std::move(ns)),
      selector_(std::move(selector)),
      max_replicas_(max_replicas),
      min_ready_(min_ready) {}

RolloutObserver::~RolloutObserver() { Stop(); }

absl::Status RolloutObserver::Start() {
  auto pods = cs_->Pods().List(ns_, {.label_selector = selector_});
  if (!pods.ok()) return pods.status();
  auto sets = cs_->ReplicaSets().List(ns_, {.label_selector = selector_});
  if (!sets.ok()) return sets.status();
  {
    absl::MutexLock lock(&mu_);
    for (const auto& pod : pods->items) ApplyPod(pod, false);
    for (const auto& rs : sets->items) ApplyReplicaSet(rs, false);
    CheckPods("the list");
    CheckReplicaSets("the list");
  }
  auto pw = cs_->Pods().Watch(
      ns_, {.label_selector = selector_, .resource_version = pods->resource_version});
  if (!pw.ok()) return pw.status();
  auto rw = cs_->ReplicaSets().Watch(
      ns_, {.label_selector = selector_, .resource_version = sets->resource_version});
  if (!rw.ok()) {
    (*pw)->Cancel();
    return rw.status();
  }
  pod_watch_ = *std::move(pw);
  rs_watch_ = *std::move(rw);
  pod_thread_ = std::thread([this] {
    client::WatchEvent e;
    while (pod_watch_->Next(&e)) {
      if (e.type == client::WatchEventType::kBookmark) continue;
      auto pod = client::ObjectAs<core::v1::Pod>(e);
      if (pod == nullptr) continue;
      absl::MutexLock lock(&mu_);
      ++pod_events_;
      ApplyPod(*pod, e.type == client::WatchEventType::kDeleted);
      CheckPods(pod->metadata().name());
    }
  });
  rs_thread_ = std::thread([this] {
    client::WatchEvent e;
    while (rs_watch_->Next(&e)) {
      if (e.type == client::WatchEventType::kBookmark) continue;
      auto rs = client::ObjectAs<apps::v1::ReplicaSet>(e);
      if (rs == nullptr) continue;
      absl::MutexLock lock(&mu_);
      ApplyReplicaSet(*rs, e.type == client::WatchEventType::kDeleted);
      CheckReplicaSets(rs->metadata().name());
    }
  });
  return absl::OkStatus();
}

void RolloutObserver::Stop() {
  if (pod_watch_ != nullptr) pod_watch_->Cancel();
  if (rs_watch_ != nullptr) rs_watch_->Cancel();
  if (pod_thread_.joinable()) pod_thread_.join();
  if (rs_thread_.joinable()) rs_thread_.join();
}

void RolloutObserver::SetBounds(int max_replicas, int min_ready) {
  absl::MutexLock lock(&mu_);
  max_replicas_ = max_replicas;
  min_ready_ = min_ready;
}

void RolloutObserver::Reset() {
  absl::MutexLock lock(&mu_);
  max_replicas_seen_ = 0;
  max_live_ = 0;
  min_ready_seen_ = 1 << 30;
  CheckPods("the reset");
  CheckReplicaSets("the reset");
}

int RolloutObserver::max_replicas_seen() {
  absl::MutexLock lock(&mu_);
  return max_replicas_seen_;
}

int RolloutObserver::max_live_pods_seen() {
  absl::MutexLock lock(&mu_);
  return max_live_;
}

int RolloutObserver::min_ready_seen() {
  absl::MutexLock lock(&mu_);
  return min_ready_seen_;
}

int RolloutObserver::pod_events() {
  absl::MutexLock lock(&mu_);
  return pod_events_;
}

std::vector<std::string> RolloutObserver::violations() {
  absl::MutexLock lock(&mu_);
  return violations_;
}

void RolloutObserver::ApplyPod(const core::v1::Pod& pod, bool deleted) {
  if (deleted || pod.metadata().has_deletion_timestamp()) {
    live_.erase(pod.metadata().name());
  } else {
    live_[pod.metadata().name()] = IsPodReady(pod);
  }
}

void RolloutObserver::ApplyReplicaSet(const apps::v1::ReplicaSet& rs, bool deleted) {
  if (deleted) {
    replicas_.erase(rs.metadata().name());
  } else {
    replicas_[rs.metadata().name()] = rs.spec().has_replicas() ? rs.spec().replicas() : 1;
  }
}

void RolloutObserver::CheckPods(const std::string& after) {
  int ready = 0;
  for (const auto& [name, is_ready] : live_) ready += is_ready ? 1 : 0;
  max_live_ = std::max(max_live_, static_cast<int>(live_.size()));
  min_ready_seen_ = std::min(min_ready_seen_, ready);
  if (ready < min_ready_) {
    violations_.push_back(absl::StrCat("only ", ready, " of ", live_.size(),
                                       " live pods Ready after a change of ", after));
  }
}

void RolloutObserver::CheckReplicaSets(const std::string& after) {
  int total = 0;
  for (const auto& [name, n] : replicas_) total += n;
  max_replicas_seen_ = std::max(max_replicas_seen_, total);
  if (max_replicas_ > 0 && total > max_replicas_) {
    std::string line =
        absl::StrCat("ReplicaSets want ", total, " pods after a change of ", after, ":");
    for (const auto& [name, n] : replicas_) absl::StrAppend(&line, " ", name, "=", n);
    violations_.push_back(std::move(line));
  }
}

}  // namespace minik8s::testing
