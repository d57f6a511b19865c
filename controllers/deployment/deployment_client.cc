#include "controllers/deployment/deployment_client.h"

namespace minik8s::controllers::deployment {
namespace {

using minik8s::apps::v1::Deployment;
using minik8s::apps::v1::ReplicaSet;

class ApiDeploymentClient : public DeploymentClient {
 public:
  explicit ApiDeploymentClient(const client::Clientset* cs) : cs_(cs) {}
  absl::StatusOr<Deployment> GetDeployment(absl::string_view ns, absl::string_view name) override {
    return cs_->Deployments().Get(ns, name);
  }
  absl::StatusOr<Deployment> UpdateDeployment(const Deployment& d) override {
    return cs_->Deployments().Update(d);
  }
  absl::StatusOr<Deployment> UpdateDeploymentStatus(const Deployment& d) override {
    return cs_->Deployments().UpdateStatus(d);
  }
  absl::StatusOr<ReplicaSet> CreateReplicaSet(const ReplicaSet& rs) override {
    return cs_->ReplicaSets().Create(rs);
  }
  absl::StatusOr<ReplicaSet> UpdateReplicaSet(const ReplicaSet& rs) override {
    return cs_->ReplicaSets().Update(rs);
  }
  absl::Status DeleteReplicaSet(absl::string_view ns, absl::string_view name) override {
    return cs_->ReplicaSets().Delete(ns, name).status();
  }

 private:
  const client::Clientset* cs_;
};

}  // namespace

std::unique_ptr<DeploymentClient> NewApiDeploymentClient(const client::Clientset* clientset) {
  return std::make_unique<ApiDeploymentClient>(clientset);
}

}  // namespace minik8s::controllers::deployment
