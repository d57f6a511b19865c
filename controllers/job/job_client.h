// JobClient: every write the Job controller makes, behind an interface so
// Sync can be tested against a fake (Kubernetes' PodControl plus the Job
// status client). NewApiJobClient talks to the apiserver.
//
// Thread safety: implementations must be safe from any thread.
#ifndef MINIK8S_CONTROLLERS_JOB_JOB_CLIENT_H_
#define MINIK8S_CONTROLLERS_JOB_JOB_CLIENT_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/clientset.h"
#include "k8s/batch/v1/batch.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

class JobClient {
 public:
  virtual ~JobClient() = default;
  virtual absl::StatusOr<minik8s::core::v1::Pod> CreatePod(const minik8s::core::v1::Pod& pod) = 0;
  virtual absl::Status DeletePod(absl::string_view ns, absl::string_view name) = 0;
  // Metadata update (ownerReferences), compare-and-swap on resourceVersion.
  virtual absl::StatusOr<minik8s::core::v1::Pod> UpdatePod(const minik8s::core::v1::Pod& pod) = 0;
  // Removes `finalizer` from pod ns/name if it is still the pod with `uid`
  // (a fresh read and an update, retried on conflicts). OK when the pod is
  // gone, is another pod or lacks the finalizer.
  virtual absl::Status RemovePodFinalizer(absl::string_view ns, absl::string_view name,
                                          absl::string_view uid, absl::string_view finalizer) = 0;
  // A fresh read (not from the cache).
  virtual absl::StatusOr<minik8s::batch::v1::Job> GetJob(absl::string_view ns,
                                                         absl::string_view name) = 0;
  virtual absl::StatusOr<minik8s::batch::v1::Job> UpdateJobStatus(
      const minik8s::batch::v1::Job& job) = 0;
  // Deletes the Job with propagationPolicy Foreground, on the condition
  // that its uid is still `uid` (the TTL-after-finished deletion).
  virtual absl::Status DeleteJob(absl::string_view ns, absl::string_view name,
                                 absl::string_view uid) = 0;
};

// Over the apiserver; `clientset` is borrowed and must outlive the result.
std::unique_ptr<JobClient> NewApiJobClient(const client::Clientset* clientset);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_JOB_JOB_CLIENT_H_
