#include "controllers/util/expectations.h"

namespace minik8s::controllers {

ControllerExpectations::ControllerExpectations(common::Clock* clock, absl::Duration ttl)
    : clock_(clock != nullptr ? clock : common::RealClock::Get()), ttl_(ttl) {}

bool ControllerExpectations::SatisfiedExpectations(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return true;
  const Entry& e = it->second;
  if (e.adds <= 0 && e.deletes.empty()) return true;
  return clock_->Now() - e.timestamp > ttl_;
}

void ControllerExpectations::ExpectCreations(const std::string& key, int adds) {
  absl::MutexLock lock(&mu_);
  Entry& e = entries_[key];
  e.adds = adds;
  e.deletes.clear();
  e.timestamp = clock_->Now();
}

void ControllerExpectations::ExpectDeletions(const std::string& key,
                                             const std::vector<std::string>& pod_keys) {
  absl::MutexLock lock(&mu_);
  Entry& e = entries_[key];
  e.adds = 0;
  e.deletes = absl::flat_hash_set<std::string>(pod_keys.begin(), pod_keys.end());
  e.timestamp = clock_->Now();
}

void ControllerExpectations::CreationObserved(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.adds > 0) --it->second.adds;
}

void ControllerExpectations::DeletionObserved(const std::string& key, const std::string& pod_key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) it->second.deletes.erase(pod_key);
}

void ControllerExpectations::LowerExpectations(const std::string& key, int adds,
                                               const std::vector<std::string>& deleted) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  it->second.adds = std::max(0, it->second.adds - adds);
  for (const std::string& k : deleted) it->second.deletes.erase(k);
}

void ControllerExpectations::DeleteExpectations(const std::string& key) {
  absl::MutexLock lock(&mu_);
  entries_.erase(key);
}

std::pair<int, int> ControllerExpectations::Pending(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return {0, 0};
  return {it->second.adds, static_cast<int>(it->second.deletes.size())};
}

}  // namespace minik8s::controllers
