#include "controllers/replicaset/replica_set_client.h"

namespace minik8s::controllers {
namespace {

using minik8s::apps::v1::ReplicaSet;
using minik8s::core::v1::Pod;

class ApiReplicaSetClient : public ReplicaSetClient {
 public:
  explicit ApiReplicaSetClient(const client::Clientset* cs) : cs_(cs) {}

  absl::StatusOr<Pod> CreatePod(const Pod& pod) override { return cs_->Pods().Create(pod); }
  absl::Status DeletePod(absl::string_view ns, absl::string_view name) override {
    return cs_->Pods().Delete(ns, name).status();
  }
  absl::StatusOr<Pod> UpdatePod(const Pod& pod) override { return cs_->Pods().Update(pod); }
  absl::StatusOr<ReplicaSet> GetReplicaSet(absl::string_view ns, absl::string_view name) override {
    return cs_->ReplicaSets().Get(ns, name);
  }
  absl::StatusOr<ReplicaSet> UpdateReplicaSetStatus(const ReplicaSet& rs) override {
    return cs_->ReplicaSets().UpdateStatus(rs);
  }

 private:
  const client::Clientset* cs_;
};

}  // namespace

std::unique_ptr<ReplicaSetClient> NewApiReplicaSetClient(const client::Clientset* clientset) {
  return std::make_unique<ApiReplicaSetClient>(clientset);
}

}  // namespace minik8s::controllers
