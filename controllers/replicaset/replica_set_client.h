// ReplicaSetClient: every write the ReplicaSet controller makes, behind an
// interface so Sync can be tested against a fake (Kubernetes' PodControl
// plus the status client). ApiReplicaSetClient talks to the apiserver.
//
// Thread safety: implementations must be safe from any thread.
#ifndef MINIK8S_CONTROLLERS_REPLICASET_REPLICA_SET_CLIENT_H_
#define MINIK8S_CONTROLLERS_REPLICASET_REPLICA_SET_CLIENT_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/clientset.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

class ReplicaSetClient {
 public:
  virtual ~ReplicaSetClient() = default;
  virtual absl::StatusOr<minik8s::core::v1::Pod> CreatePod(const minik8s::core::v1::Pod& pod) = 0;
  virtual absl::Status DeletePod(absl::string_view ns, absl::string_view name) = 0;
  // Metadata update (ownerReferences), compare-and-swap on resourceVersion.
  virtual absl::StatusOr<minik8s::core::v1::Pod> UpdatePod(const minik8s::core::v1::Pod& pod) = 0;
  // A fresh read (not from the cache).
  virtual absl::StatusOr<minik8s::apps::v1::ReplicaSet> GetReplicaSet(absl::string_view ns,
                                                                      absl::string_view name) = 0;
  virtual absl::StatusOr<minik8s::apps::v1::ReplicaSet> UpdateReplicaSetStatus(
      const minik8s::apps::v1::ReplicaSet& rs) = 0;
};

// Over the apiserver; `clientset` is borrowed and must outlive the result.
std::unique_ptr<ReplicaSetClient> NewApiReplicaSetClient(const client::Clientset* clientset);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_REPLICASET_REPLICA_SET_CLIENT_H_
