#include "kubelet/node_heartbeat.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace minik8s::kubelet {

namespace {
// A period of zero or less would spin; the schedule never goes below this.
constexpr absl::Duration kMinPeriod = absl::Milliseconds(1);
}  // namespace

NodeHeartbeat::NodeHeartbeat(NodeApi* api, common::Clock* clock, std::vector<std::string> nodes,
                             NodeHeartbeatOptions options)
    : api_(api), clock_(clock), options_(options) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  for (const std::string& n : nodes) {
    if (!nodes_.emplace(n, Node{}).second) continue;
    ScheduleLocked(absl::StrCat(kStatus, n), now);
  }
}

NodeHeartbeat::~NodeHeartbeat() { Stop(); }

void NodeHeartbeat::Start() {
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    threads_.emplace_back([this] { WorkerLoop(); });
  }
}

void NodeHeartbeat::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

absl::Time NodeHeartbeat::NextDue() const {
  absl::MutexLock lock(&mu_);
  return due_.empty() ? absl::InfiniteFuture() : std::get<0>(*due_.begin());
}

bool NodeHeartbeat::Registered(const std::string& node) const {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node);
  return it != nodes_.end() && it->second.registered;
}

std::string NodeHeartbeat::TakeDueLocked(absl::Time now, absl::Time* next) {
  if (due_.empty()) {
    *next = absl::InfiniteFuture();
    return "";
  }
  auto first = due_.begin();
  if (std::get<0>(*first) > now) {
    *next = std::get<0>(*first);
    return "";
  }
  std::string key = std::get<2>(*first);
  due_.erase(first);
  return key;
}

void NodeHeartbeat::ScheduleLocked(const std::string& key, absl::Time when) {
  due_.emplace(when, seq_++, key);
  ++generation_;
}

absl::Time NodeHeartbeat::RunDue() {
  while (true) {
    std::string key;
    {
      absl::MutexLock lock(&mu_);
      absl::Time next;
      key = TakeDueLocked(clock_->Now(), &next);
      if (key.empty()) return next;
    }
    Run(key);
  }
}

void NodeHeartbeat::WorkerLoop() {
  struct Args {
    NodeHeartbeat* self;
    uint64_t generation;
  };
  while (true) {
    std::string key;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (stopping_) return;
        absl::Time next;
        key = TakeDueLocked(clock_->Now(), &next);
        if (!key.empty()) break;
        Args args{this, generation_};
        clock_->AwaitWithDeadline(&mu_,
                                  absl::Condition(
                                      +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                        return a->self->stopping_ ||
                                               a->self->generation_ != a->generation;
                                      },
                                      &args),
                                  next);
      }
    }
    Run(key);
  }
}

void NodeHeartbeat::Run(const std::string& key) {
  if (absl::StartsWith(key, kStatus)) {
    RunStatus(key.substr(sizeof(kStatus) - 1));
  } else {
    RunLease(key.substr(sizeof(kLease) - 1));
  }
}

void NodeHeartbeat::RunStatus(const std::string& node) {
  bool registered;
  {
    absl::MutexLock lock(&mu_);
    registered = nodes_[node].registered;
  }
  absl::Status s = absl::OkStatus();
  if (!registered) {
    s = api_->RegisterNode(node);
    registered = s.ok();
  }
  if (registered) {
    s = api_->SyncNodeStatus(node);
    if (absl::IsNotFound(s)) {
      spdlog::info("node {} is gone from the apiserver; registering it again", node);
      s = api_->RegisterNode(node);
      registered = s.ok();
    }
  }
  if (!s.ok()) spdlog::warn("node {}: status update failed: {}", node, s.ToString());
  const absl::Duration next =
      registered ? options_.node_status_update_frequency : options_.register_retry;
  absl::MutexLock lock(&mu_);
  Node& n = nodes_[node];
  n.registered = registered;
  const absl::Time now = clock_->Now();
  ScheduleLocked(absl::StrCat(kStatus, node), now + std::max(next, kMinPeriod));
  // The Lease loop starts once the Node exists (the Lease is owned by it).
  if (registered && !n.lease_started) {
    n.lease_started = true;
    ScheduleLocked(absl::StrCat(kLease, node), now);
  }
}

void NodeHeartbeat::RunLease(const std::string& node) {
  absl::Status s = api_->RenewLease(node);
  if (!s.ok()) spdlog::warn("node {}: lease renewal failed: {}", node, s.ToString());
  const absl::Duration next =
      s.ok() ? options_.node_lease_renew_interval
             : std::min(options_.node_lease_renew_interval, options_.lease_retry);
  absl::MutexLock lock(&mu_);
  ScheduleLocked(absl::StrCat(kLease, node), clock_->Now() + std::max(next, kMinPeriod));
}

}  // namespace minik8s::kubelet
