#include "scheduler/queue/scheduling_queue.h"

#include <utility>

#include "api/time.h"
#include "common/proto_equal.h"
#include "spdlog/spdlog.h"

namespace minik8s::scheduler {

bool PodSpecOrMetadataChanged(const Pod& old_pod, const Pod& new_pod) {
  if (!common::ProtoEqual(old_pod.spec(), new_pod.spec())) return true;
  minik8s::meta::v1::ObjectMeta a = old_pod.metadata();
  minik8s::meta::v1::ObjectMeta b = new_pod.metadata();
  a.clear_resource_version();
  b.clear_resource_version();
  a.clear_generation();
  b.clear_generation();
  return !common::ProtoEqual(a, b);
}

SchedulingQueue::SchedulingQueue(SchedulingQueueOptions options)
    : options_(options), clock_(options.clock ? options.clock : common::RealClock::Get()) {}

absl::Duration SchedulingQueue::BackoffDuration(int attempts) const {
  absl::Duration d = options_.initial_backoff;
  for (int i = 1; i < attempts; ++i) {
    d *= 2;
    if (d > options_.max_backoff) return options_.max_backoff;
  }
  return d;
}

absl::Time SchedulingQueue::BackoffExpiryLocked(const QueuedPodInfo& info) const {
  return info.timestamp + BackoffDuration(info.attempts);
}

void SchedulingQueue::ToActiveLocked(QueuedPodInfo info) {
  const Pod& pod = *info.pod;
  ActiveKey k{pod.spec().has_priority() ? pod.spec().priority() : 0,
              minik8s::api::FromProtoTime(pod.metadata().creation_timestamp()), seq_++, info.key};
  active_.insert(k);
  std::string key = info.key;
  entries_[key] = Entry{std::move(info), Entry::kActive, std::move(k), absl::InfinitePast()};
}

void SchedulingQueue::ToBackoffLocked(QueuedPodInfo info) {
  absl::Time expiry = BackoffExpiryLocked(info);
  backoff_.emplace(expiry, info.key);
  std::string key = info.key;
  entries_[key] = Entry{std::move(info), Entry::kBackoff, {}, expiry};
}

void SchedulingQueue::ToUnschedulableLocked(QueuedPodInfo info) {
  unschedulable_.emplace(info.timestamp, info.key);
  std::string key = info.key;
  entries_[key] = Entry{std::move(info), Entry::kUnschedulable, {}, absl::InfinitePast()};
}

void SchedulingQueue::RemoveLocked(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  switch (e.where) {
    case Entry::kActive:
      active_.erase(e.active_key);
      break;
    case Entry::kBackoff:
      backoff_.erase({e.backoff_expiry, key});
      break;
    case Entry::kUnschedulable:
      unschedulable_.erase({e.info.timestamp, key});
      break;
  }
  entries_.erase(it);
}

void SchedulingQueue::MoveToActiveOrBackoffLocked(QueuedPodInfo info) {
  if (clock_->Now() < BackoffExpiryLocked(info)) {
    ToBackoffLocked(std::move(info));
  } else {
    ToActiveLocked(std::move(info));
  }
}

void SchedulingQueue::Add(std::shared_ptr<const Pod> pod) {
  std::string key = PodKey(*pod);
  absl::MutexLock l(&mu_);
  if (auto f = in_flight_.find(key); f != in_flight_.end()) {
    f->second.latest = std::move(pod);
    return;
  }
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second.info.pod = std::move(pod);
    return;
  }
  QueuedPodInfo info;
  info.pod = std::move(pod);
  info.key = std::move(key);
  info.timestamp = clock_->Now();
  ToActiveLocked(std::move(info));
}

void SchedulingQueue::Update(const std::shared_ptr<const Pod>& old_pod,
                             std::shared_ptr<const Pod> new_pod) {
  std::string key = PodKey(*new_pod);
  bool changed = old_pod == nullptr || PodSpecOrMetadataChanged(*old_pod, *new_pod);
  absl::MutexLock l(&mu_);
  if (auto f = in_flight_.find(key); f != in_flight_.end()) {
    f->second.latest = std::move(new_pod);
    f->second.updated |= changed;
    return;
  }
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    QueuedPodInfo info;
    info.pod = std::move(new_pod);
    info.key = std::move(key);
    info.timestamp = clock_->Now();
    ToActiveLocked(std::move(info));
    return;
  }
  if (it->second.where == Entry::kUnschedulable && changed) {
    QueuedPodInfo info = std::move(it->second.info);
    RemoveLocked(key);
    info.pod = std::move(new_pod);
    MoveToActiveOrBackoffLocked(std::move(info));
    return;
  }
  if (it->second.where == Entry::kActive && changed) {
    // Priority may have changed: re-sort.
    QueuedPodInfo info = std::move(it->second.info);
    RemoveLocked(key);
    info.pod = std::move(new_pod);
    ToActiveLocked(std::move(info));
    return;
  }
  it->second.info.pod = std::move(new_pod);
}

void SchedulingQueue::Delete(const std::string& key) {
  absl::MutexLock l(&mu_);
  if (auto f = in_flight_.find(key); f != in_flight_.end()) f->second.deleted = true;
  RemoveLocked(key);
}

void SchedulingQueue::FlushLocked() {
  absl::Time now = clock_->Now();
  while (!backoff_.empty() && backoff_.begin()->first <= now) {
    std::string key = backoff_.begin()->second;
    QueuedPodInfo info = std::move(entries_.at(key).info);
    RemoveLocked(key);
    ToActiveLocked(std::move(info));
  }
  while (!unschedulable_.empty() &&
         unschedulable_.begin()->first + options_.unschedulable_timeout <= now) {
    std::string key = unschedulable_.begin()->second;
    QueuedPodInfo info = std::move(entries_.at(key).info);
    RemoveLocked(key);
    MoveToActiveOrBackoffLocked(std::move(info));
  }
}

void SchedulingQueue::FlushBackoffCompleted() {
  absl::MutexLock l(&mu_);
  FlushLocked();
}

void SchedulingQueue::FlushUnschedulableLeftover() {
  absl::MutexLock l(&mu_);
  FlushLocked();
}

absl::Time SchedulingQueue::NextWakeupLocked() const {
  absl::Time t = absl::InfiniteFuture();
  if (!backoff_.empty()) t = std::min(t, backoff_.begin()->first);
  if (!unschedulable_.empty()) {
    t = std::min(t, unschedulable_.begin()->first + options_.unschedulable_timeout);
  }
  return t;
}

std::optional<QueuedPodInfo> SchedulingQueue::Pop() {
  absl::MutexLock l(&mu_);
  for (;;) {
    FlushLocked();
    if (closed_) return std::nullopt;
    if (!active_.empty()) {
      std::string key = active_.begin()->key;
      QueuedPodInfo info = std::move(entries_.at(key).info);
      RemoveLocked(key);
      ++info.attempts;
      if (info.initial_attempt == absl::Time()) info.initial_attempt = clock_->Now();
      in_flight_[key] = InFlight{};
      ++scheduling_cycle_;
      return info;
    }
    // Wake for: a pod turning active, Close(), or the next timed move. A pod
    // entering backoff/unschedulable meanwhile changes the deadline, so any
    // change to their sizes also ends the wait.
    size_t nb = backoff_.size(), nu = unschedulable_.size();
    auto cond = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return closed_ || !active_.empty() || backoff_.size() != nb || unschedulable_.size() != nu;
    };
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&cond), NextWakeupLocked());
  }
}

void SchedulingQueue::Done(const std::string& key) {
  absl::MutexLock l(&mu_);
  in_flight_.erase(key);
}

void SchedulingQueue::AddUnschedulableIfNotPresent(QueuedPodInfo info, int64_t pod_cycle,
                                                   bool error) {
  absl::MutexLock l(&mu_);
  bool updated = false;
  if (auto f = in_flight_.find(info.key); f != in_flight_.end()) {
    if (f->second.deleted) {
      in_flight_.erase(f);
      return;
    }
    if (f->second.latest) info.pod = f->second.latest;
    updated = f->second.updated;
    in_flight_.erase(f);
  }
  if (entries_.contains(info.key)) return;
  info.timestamp = clock_->Now();
  const bool missed_inter_pod_move =
      inter_pod_move_request_cycle_ >= pod_cycle && HasInterPodRequirements(*info.pod);
  if (error || updated || move_request_cycle_ >= pod_cycle || missed_inter_pod_move) {
    ToBackoffLocked(std::move(info));
  } else {
    ToUnschedulableLocked(std::move(info));
  }
}

void SchedulingQueue::MoveAllToActiveOrBackoffQueue(std::string_view event) {
  absl::MutexLock l(&mu_);
  size_t moved = unschedulable_.size();
  while (!unschedulable_.empty()) {
    std::string key = unschedulable_.begin()->second;
    QueuedPodInfo info = std::move(entries_.at(key).info);
    RemoveLocked(key);
    MoveToActiveOrBackoffLocked(std::move(info));
  }
  move_request_cycle_ = scheduling_cycle_;
  if (moved > 0) SPDLOG_DEBUG("{}: {} unschedulable pod(s) moved to active/backoff", event, moved);
}

void SchedulingQueue::MoveInterPodToActiveOrBackoffQueue(std::string_view event) {
  absl::MutexLock l(&mu_);
  inter_pod_move_request_cycle_ = scheduling_cycle_;
  std::vector<std::string> keys;
  for (const auto& [time, key] : unschedulable_) {
    if (HasInterPodRequirements(*entries_.at(key).info.pod)) keys.push_back(key);
  }
  for (const std::string& key : keys) {
    QueuedPodInfo info = std::move(entries_.at(key).info);
    RemoveLocked(key);
    MoveToActiveOrBackoffLocked(std::move(info));
  }
  if (!keys.empty()) {
    SPDLOG_DEBUG("{}: {} unschedulable pod(s) moved to active/backoff", event, keys.size());
  }
}

bool HasInterPodRequirements(const Pod& pod) {
  const auto& spec = pod.spec();
  if (spec.affinity().has_pod_affinity() &&
      !spec.affinity()
           .pod_affinity()
           .required_during_scheduling_ignored_during_execution()
           .empty()) {
    return true;
  }
  for (const auto& c : spec.topology_spread_constraints()) {
    if (c.when_unsatisfiable() == "DoNotSchedule") return true;
  }
  return false;
}

int64_t SchedulingQueue::SchedulingCycle() const {
  absl::MutexLock l(&mu_);
  return scheduling_cycle_;
}

void SchedulingQueue::Close() {
  absl::MutexLock l(&mu_);
  closed_ = true;
}

size_t SchedulingQueue::NumActive() const {
  absl::MutexLock l(&mu_);
  return active_.size();
}
size_t SchedulingQueue::NumBackoff() const {
  absl::MutexLock l(&mu_);
  return backoff_.size();
}
size_t SchedulingQueue::NumUnschedulable() const {
  absl::MutexLock l(&mu_);
  return unschedulable_.size();
}
size_t SchedulingQueue::NumInFlight() const {
  absl::MutexLock l(&mu_);
  return in_flight_.size();
}

}  // namespace minik8s::scheduler
