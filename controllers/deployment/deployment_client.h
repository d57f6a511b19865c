// DeploymentClient: every write the Deployment controller makes, behind an
// interface so Sync can be tested against a fake. NewApiDeploymentClient
// talks to the apiserver.
//
// Thread safety: implementations must be safe from any thread.
#ifndef MINIK8S_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CLIENT_H_
#define MINIK8S_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CLIENT_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/clientset.h"
#include "k8s/apps/v1/apps.pb.h"

namespace minik8s::controllers::deployment {

class DeploymentClient {
 public:
  virtual ~DeploymentClient() = default;
  // A fresh read (not from the cache).
  virtual absl::StatusOr<minik8s::apps::v1::Deployment> GetDeployment(absl::string_view ns,
                                                                      absl::string_view name) = 0;
  // Metadata and spec (the revision annotation), CAS on resourceVersion.
  virtual absl::StatusOr<minik8s::apps::v1::Deployment> UpdateDeployment(
      const minik8s::apps::v1::Deployment& d) = 0;
  virtual absl::StatusOr<minik8s::apps::v1::Deployment> UpdateDeploymentStatus(
      const minik8s::apps::v1::Deployment& d) = 0;
  virtual absl::StatusOr<minik8s::apps::v1::ReplicaSet> CreateReplicaSet(
      const minik8s::apps::v1::ReplicaSet& rs) = 0;
  virtual absl::StatusOr<minik8s::apps::v1::ReplicaSet> UpdateReplicaSet(
      const minik8s::apps::v1::ReplicaSet& rs) = 0;
  virtual absl::Status DeleteReplicaSet(absl::string_view ns, absl::string_view name) = 0;
};

// `clientset` is borrowed and must outlive the result.
std::unique_ptr<DeploymentClient> NewApiDeploymentClient(const client::Clientset* clientset);

}  // namespace minik8s::controllers::deployment

#endif  // MINIK8S_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CLIENT_H_
