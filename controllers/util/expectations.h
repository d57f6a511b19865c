// ControllerExpectations: what a controller has asked the apiserver to do
// and not yet seen come back through its informer (Kubernetes'
// UIDTrackingControllerExpectations in controller_utils.go).
//
// A sync that creates N pods calls ExpectCreations(key, N); each pod's ADD
// event calls CreationObserved(key). Deletions are tracked by pod key, so a
// pod whose delete is seen twice (a DELETE after an update with
// deletionTimestamp) counts once. SatisfiedExpectations(key) is true when
// nothing is pending, when no expectations were ever recorded, or when they
// are older than the TTL (5 minutes: a lost watch event must not wedge the
// controller forever). While it is false the controller does not create or
// delete again, only recomputes status.
//
// Thread safety: all methods are safe from any thread. The Clock is
// borrowed and must outlive this object.
#ifndef MINIK8S_CONTROLLERS_UTIL_EXPECTATIONS_H_
#define MINIK8S_CONTROLLERS_UTIL_EXPECTATIONS_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace minik8s::controllers {

inline constexpr absl::Duration kExpectationsTimeout = absl::Minutes(5);

class ControllerExpectations {
 public:
  explicit ControllerExpectations(common::Clock* clock, absl::Duration ttl = kExpectationsTimeout);

  bool SatisfiedExpectations(const std::string& key) const;
  // Replaces the expectations of `key`.
  void ExpectCreations(const std::string& key, int adds);
  void ExpectDeletions(const std::string& key, const std::vector<std::string>& pod_keys);
  void CreationObserved(const std::string& key);
  // Counts only the first observation of a pod we expected to delete.
  void DeletionObserved(const std::string& key, const std::string& pod_key);
  // Lowers expectations for operations that never reached the server.
  void LowerExpectations(const std::string& key, int adds, const std::vector<std::string>& deleted);
  void DeleteExpectations(const std::string& key);
  // Pending (adds, deletes); (0, 0) when none. For tests and logs.
  std::pair<int, int> Pending(const std::string& key) const;

 private:
  struct Entry {
    int adds = 0;
    absl::flat_hash_set<std::string> deletes;
    absl::Time timestamp;
  };

  common::Clock* const clock_;
  const absl::Duration ttl_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_UTIL_EXPECTATIONS_H_
