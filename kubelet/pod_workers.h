// PodWorkers: the kubelet's pod workers — as Kubernetes' podWorkers do, they
// serialise the syncs of each pod while different pods sync in parallel:
// a work queue of pod keys ("namespace/name") drained by `threads` threads.
// The queue never hands one key to two threads, and a key added while it
// is being synced is synced once more afterwards, so every event is seen
// and one pod's syncs never overlap.
//
// After a sync the key is queued again: after `retry_after` when the sync
// failed, after the delay the sync asked for (a probe, a back-off's end;
// at least `min_requeue`), or not at all until the next Enqueue. Delays run
// on the clock, so tests drive them with a FakeClock.
//
// Each pod's state (PodWorker, pod_worker.h) lives here by key. The
// map is locked; a PodWorker itself is used only by the thread syncing its
// key (or before Start, as adoption does), so it needs no lock.
//
// Thread safety: every method is safe from any thread; Start/Stop from
// one. Stop leaves queued syncs undone and waits for running ones.
#ifndef MINIK8S_KUBELET_POD_WORKERS_H_
#define MINIK8S_KUBELET_POD_WORKERS_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/workqueue.h"
#include "common/clock.h"
#include "kubelet/pod_worker.h"

namespace minik8s::kubelet {

struct PodWorkersOptions {
  int threads = 8;  // at least 1
  absl::Duration retry_after = absl::Seconds(1);
  absl::Duration min_requeue = absl::Milliseconds(10);
  common::Clock* clock = nullptr;  // null: the real clock
};

class PodWorkers {
 public:
  // One sync of the pod `key`. Sets `*requeue_after` (left Infinite
  // otherwise) to be synced again after that long.
  using SyncFn = std::function<absl::Status(const std::string& key, absl::Duration* requeue_after)>;

  PodWorkers(SyncFn sync, PodWorkersOptions options);
  ~PodWorkers();  // Stop()
  PodWorkers(const PodWorkers&) = delete;
  PodWorkers& operator=(const PodWorkers&) = delete;

  void Start();
  void Stop();
  // Whether Stop() has begun.
  bool Stopping() const;

  // Asks for a sync of `key` (coalesced with one already queued).
  void Enqueue(const std::string& key);

  // The pod's state, or null.
  PodWorker* Find(const std::string& key) const;
  // Makes `w` the state of `key` (replacing any); returns it.
  PodWorker* Put(const std::string& key, std::unique_ptr<PodWorker> w);
  void Remove(const std::string& key);
  std::vector<std::string> Keys() const;
  int Size() const;
  // Syncs waiting for their requeue or retry delay (for tests).
  int NumWaiting() const { return queue_.NumWaiting(); }

 private:
  void Loop();

  const SyncFn sync_;
  const PodWorkersOptions options_;
  client::WorkQueue queue_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<PodWorker>> workers_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_POD_WORKERS_H_
