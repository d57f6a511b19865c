// Lessor: the leases of the store (etcd's lease.Lessor). A lease has an id, a
// granted TTL, an expiry time and a set of attached keys. Granting and
// revoking are ordered through the store's apply path (which persists them in
// the backend and deletes attached keys); the lessor only keeps the in-memory
// state. Keep-alives renew the expiry in memory only: as etcd 3.4 does, a
// restart gives every lease its full TTL again.
//
// Thread-safe: one internal mutex; no callbacks are made while it is held.
#ifndef MINIK8S_STORE_LEASE_H_
#define MINIK8S_STORE_LEASE_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace minik8s::store {

// etcd's minimum TTL with default election settings (1.5 × the 1 s election
// timeout, rounded up to whole seconds): shorter requested TTLs are raised to it.
inline constexpr int64_t kMinLeaseTTL = 2;
// etcd's MaxLeaseTTL.
inline constexpr int64_t kMaxLeaseTTL = 9000000000;

struct LeaseSnapshot {
  int64_t id = 0;
  int64_t granted_ttl = 0;
  int64_t remaining_ttl = 0;  // seconds, rounded up; may be 0 when due
  std::vector<std::string> keys;
};

class Lessor {
 public:
  // `clock` must outlive the lessor.
  explicit Lessor(const common::Clock* clock, int64_t min_ttl = kMinLeaseTTL);

  // Validates a grant: TTL too large → OutOfRange; existing id → FailedPrecondition.
  absl::Status CheckGrant(int64_t id, int64_t ttl) const;
  // Picks an unused positive id.
  int64_t NewId() const;
  // Adds the lease; returns the effective TTL (raised to the minimum).
  int64_t Grant(int64_t id, int64_t ttl);
  // Restores a lease read back from the backend, expiring a full TTL from now.
  void Restore(int64_t id, int64_t ttl);
  // Removes the lease and returns its keys; NotFound if unknown.
  absl::StatusOr<std::vector<std::string>> Revoke(int64_t id);

  bool Exists(int64_t id) const;
  void Attach(int64_t id, const std::string& key);
  void Detach(int64_t id, const std::string& key);
  // The lease `key` is attached to, or 0. Lets a put detach the old lease
  // without reading the key's previous value.
  int64_t LeaseOf(const std::string& key) const;

  // Renews the lease; returns its TTL, or NotFound.
  absl::StatusOr<int64_t> Renew(int64_t id);
  absl::StatusOr<LeaseSnapshot> Get(int64_t id) const;
  std::vector<int64_t> Ids() const;

  // Ids of leases past their expiry that are not already being revoked; they
  // are marked as being revoked (until Revoke or Renew).
  std::vector<int64_t> TakeExpired();
  // Clears the "being revoked" mark so the lease may be reported again.
  void ClearRevoking(int64_t id);

  int64_t min_ttl() const { return min_ttl_; }

 private:
  struct Lease {
    int64_t ttl = 0;
    absl::Time expiry;
    bool revoking = false;
    std::set<std::string> keys;
  };

  const common::Clock* clock_;
  const int64_t min_ttl_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<int64_t, Lease> leases_ ABSL_GUARDED_BY(mu_);
  // The reverse of Lease::keys.
  absl::flat_hash_map<std::string, int64_t> key_lease_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_LEASE_H_
