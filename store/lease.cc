#include "store/lease.h"

#include <cmath>
#include <random>

#include "store/errors.h"

namespace minik8s::store {

Lessor::Lessor(const common::Clock* clock, int64_t min_ttl) : clock_(clock), min_ttl_(min_ttl) {}

absl::Status Lessor::CheckGrant(int64_t id, int64_t ttl) const {
  if (ttl > kMaxLeaseTTL) return ErrLeaseTTLTooLarge();
  absl::MutexLock lock(&mu_);
  if (id != 0 && leases_.contains(id)) return ErrLeaseExists();
  return absl::OkStatus();
}

int64_t Lessor::NewId() const {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  absl::MutexLock lock(&mu_);
  while (true) {
    int64_t id = static_cast<int64_t>(rng() >> 1);
    if (id != 0 && !leases_.contains(id)) return id;
  }
}

int64_t Lessor::Grant(int64_t id, int64_t ttl) {
  ttl = std::max(ttl, min_ttl_);
  absl::MutexLock lock(&mu_);
  Lease& l = leases_[id];
  l.ttl = ttl;
  l.expiry = clock_->Now() + absl::Seconds(ttl);
  return ttl;
}

void Lessor::Restore(int64_t id, int64_t ttl) { Grant(id, ttl); }

absl::StatusOr<std::vector<std::string>> Lessor::Revoke(int64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return ErrLeaseNotFound();
  std::vector<std::string> keys(it->second.keys.begin(), it->second.keys.end());
  for (const std::string& key : keys) {
    auto kl = key_lease_.find(key);
    if (kl != key_lease_.end() && kl->second == id) key_lease_.erase(kl);
  }
  leases_.erase(it);
  return keys;
}

bool Lessor::Exists(int64_t id) const {
  absl::MutexLock lock(&mu_);
  return leases_.contains(id);
}

void Lessor::Attach(int64_t id, const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return;
  it->second.keys.insert(key);
  key_lease_[key] = id;
}

void Lessor::Detach(int64_t id, const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it != leases_.end()) it->second.keys.erase(key);
  auto kl = key_lease_.find(key);
  if (kl != key_lease_.end() && kl->second == id) key_lease_.erase(kl);
}

int64_t Lessor::LeaseOf(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = key_lease_.find(key);
  return it == key_lease_.end() ? 0 : it->second;
}

absl::StatusOr<int64_t> Lessor::Renew(int64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return ErrLeaseNotFound();
  // A lease already past expiry and being revoked cannot be renewed.
  if (it->second.revoking) return ErrLeaseNotFound();
  it->second.expiry = clock_->Now() + absl::Seconds(it->second.ttl);
  return it->second.ttl;
}

absl::StatusOr<LeaseSnapshot> Lessor::Get(int64_t id) const {
  absl::MutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return ErrLeaseNotFound();
  LeaseSnapshot snap;
  snap.id = id;
  snap.granted_ttl = it->second.ttl;
  double remaining = absl::ToDoubleSeconds(it->second.expiry - clock_->Now());
  snap.remaining_ttl = remaining <= 0 ? 0 : static_cast<int64_t>(std::ceil(remaining));
  snap.keys.assign(it->second.keys.begin(), it->second.keys.end());
  return snap;
}

std::vector<int64_t> Lessor::Ids() const {
  absl::MutexLock lock(&mu_);
  std::vector<int64_t> ids;
  for (const auto& [id, l] : leases_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<int64_t> Lessor::TakeExpired() {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  std::vector<int64_t> out;
  for (auto& [id, l] : leases_) {
    if (!l.revoking && l.expiry <= now) {
      l.revoking = true;
      out.push_back(id);
    }
  }
  return out;
}

void Lessor::ClearRevoking(int64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = leases_.find(id);
  if (it != leases_.end()) it->second.revoking = false;
}

}  // namespace minik8s::store
