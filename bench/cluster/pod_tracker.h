// PodTracker: watches the pods of one label selector and records, per pod,
// when this process first observed it (created), bound to a node
// (scheduled) and in phase Running — the watcher's view that the cluster
// benchmark's startup latencies and timeline are computed from.
//
//   PodTracker tracker(cs->api(), "default", "app=bench");
//   if (absl::Status s = tracker.Start(absl::Seconds(30)); !s.ok()) ...
//   ... create the Deployment ...
//   tracker.AwaitRunning(10000, absl::Seconds(1));
//   PodTracker::Counts c = tracker.counts();
//
// The times are taken when the informer's handler runs (its dispatch thread),
// so they include the watch's delivery delay, as Kubernetes' pod startup SLI
// does ("observed via watch").
//
// Thread safety: all methods are safe from any thread. The ApiClient must
// outlive the tracker.
#ifndef MINIK8S_BENCH_CLUSTER_POD_TRACKER_H_
#define MINIK8S_BENCH_CLUSTER_POD_TRACKER_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "client/informer.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::bench {

// What the watcher saw of one pod; InfiniteFuture = not (yet) seen.
struct PodTimes {
  std::string name;
  absl::Time creation_timestamp = absl::InfiniteFuture();  // metadata (whole seconds)
  absl::Time seen = absl::InfiniteFuture();                // first event for it
  absl::Time scheduled = absl::InfiniteFuture();           // first seen with spec.nodeName
  absl::Time running = absl::InfiniteFuture();             // first seen with phase Running
  absl::Time failed = absl::InfiniteFuture();              // first seen with phase Failed
};

class PodTracker {
 public:
  struct Counts {
    int created = 0;    // pods seen
    int scheduled = 0;  // of those, seen bound to a node
    int running = 0;    // of those, seen Running
    int failed = 0;     // seen in phase Failed
    int deleted = 0;    // deletions seen (none expected)
  };

  PodTracker(client::ApiClient* api, std::string ns, std::string label_selector);
  ~PodTracker();
  PodTracker(const PodTracker&) = delete;
  PodTracker& operator=(const PodTracker&) = delete;

  // Starts the informer and waits for its first list.
  absl::Status Start(absl::Duration sync_timeout);
  void Stop();

  Counts counts() const;
  // Waits until `n` pods were seen Running or the timeout passes; returns
  // whether they were.
  bool AwaitRunning(int n, absl::Duration timeout) const;
  // Every pod seen so far.
  std::vector<PodTimes> Snapshot() const;

 private:
  void Observe(const minik8s::core::v1::Pod& pod);

  client::Informer<minik8s::core::v1::Pod> informer_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, PodTimes> pods_ ABSL_GUARDED_BY(mu_);
  Counts counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::bench

#endif  // MINIK8S_BENCH_CLUSTER_POD_TRACKER_H_
