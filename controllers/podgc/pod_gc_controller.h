// The pod garbage collector (Kubernetes pkg/controller/podgc), the parts
// about pods nobody else will clean up:
//   - Orphaned pods: a pod bound (spec.nodeName) to a Node that no longer
//     exists is force-deleted (grace period 0: no kubelet will ever confirm
//     it). A node missing from the informer is first quarantined for
//     `quarantine`, then looked up live; only a NotFound answer counts as
//     deleted (the informer may simply lag behind a fresh Node).
//   - Unscheduled terminating pods: a pod with a deletionTimestamp and no
//     nodeName has no kubelet to finish its deletion; it is force-deleted.
// Not done: the terminated-pod threshold, out-of-service nodes, the
// DisruptionTarget condition. Like Kubernetes' podgc it records no Event,
// only a log line per deleted pod.
//
// Thread safety: GcOnce may be called from one thread at a time (Run's
// thread, or a test). Borrowed objects must outlive the controller.
#ifndef MINIK8S_CONTROLLERS_PODGC_POD_GC_CONTROLLER_H_
#define MINIK8S_CONTROLLERS_PODGC_POD_GC_CONTROLLER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/clientset.h"
#include "client/lister.h"
#include "common/clock.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

// The reads and writes past the caches (a fake in tests).
class PodGCClient {
 public:
  virtual ~PodGCClient() = default;
  // OK when the Node exists, NotFound when it does not, else an error.
  virtual absl::Status GetNode(absl::string_view name) = 0;
  // Deletes with grace period 0.
  virtual absl::Status ForceDeletePod(absl::string_view ns, absl::string_view name) = 0;
};
// `clientset` borrowed; must outlive the result.
std::unique_ptr<PodGCClient> NewApiPodGCClient(const client::Clientset* clientset);

struct PodGCOptions {
  absl::Duration period = absl::Seconds(20);      // Kubernetes' gcCheckPeriod
  absl::Duration quarantine = absl::Seconds(40);  // Kubernetes' quarantineTime
  common::Clock* clock = nullptr;                 // null = real clock
};

class PodGCController {
 public:
  PodGCController(client::Lister<minik8s::core::v1::Pod> pods,
                  client::Lister<minik8s::core::v1::Node> nodes,
                  std::unique_ptr<PodGCClient> client, PodGCOptions options);
  ~PodGCController();

  void Run();  // a thread calling GcOnce every period
  void Stop();
  // One pass; returns the first error (the pass continues past it).
  absl::Status GcOnce();

 private:
  client::Lister<minik8s::core::v1::Pod> pods_;
  client::Lister<minik8s::core::v1::Node> nodes_;
  std::unique_ptr<PodGCClient> client_;
  const PodGCOptions options_;
  common::Clock* const clock_;
  // Node names missing from the informer → when first missed (our clock).
  absl::flat_hash_map<std::string, absl::Time> missing_since_;  // GcOnce's thread only

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_PODGC_POD_GC_CONTROLLER_H_
