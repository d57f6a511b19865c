// Backoff: per-key exponential back-off for container restarts
// (CrashLoopBackOff) and image pulls (ImagePullBackOff), with Kubernetes'
// semantics (client-go flowcontrol.Backoff as the kubelet uses it):
//
//   - Next(key, now) records an attempt: the first one (or the first after a
//     reset) sets the delay to `initial`; each later one doubles it, capped
//     at `max`.
//   - IsInBackOffSince(key, event_time, now) is true while
//     now - event_time < the key's current delay; the kubelet passes the
//     time the container finished (or the pull failed) as event_time.
//   - Reset(key) forgets the key (a container that ran longer than
//     reset_after gets a fresh start).
//
// Example with initial 10s, max 300s: crash 1 → Next → 10s, restart at once;
// crash 2 at t → waits until t+10s, Next → 20s; crash 3 → waits 20s; ...
//
// Pure bookkeeping on times passed in, so tests need no clock.
// Thread-compatible: the owner serialises calls.
#ifndef MINIK8S_KUBELET_BACKOFF_H_
#define MINIK8S_KUBELET_BACKOFF_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace minik8s::kubelet {

class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max) : initial_(initial), max_(max) {}

  // Records an attempt at `now`; returns the delay now in force for the key.
  absl::Duration Next(const std::string& key, absl::Time now);
  bool IsInBackOffSince(const std::string& key, absl::Time event_time, absl::Time now) const;
  // The current delay (zero for an unknown key).
  absl::Duration Get(const std::string& key) const;
  void Reset(const std::string& key);
  // Drops every key starting with `prefix` (a pod that is gone).
  void ResetPrefix(const std::string& prefix);

  absl::Duration initial() const { return initial_; }
  absl::Duration max() const { return max_; }

 private:
  struct Entry {
    absl::Duration delay;
    absl::Time last_update;
  };
  const absl::Duration initial_;
  const absl::Duration max_;
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_BACKOFF_H_
