// Deployments: status subresource, status cleared on create, generation on
// spec change, scale subresource.
#include "apiserver/registry/kinds.h"
#include "k8s/apps/v1/apps.pb.h"

namespace minik8s::apiserver {
namespace {

using apps::v1::Deployment;

class DeploymentStrategy : public Strategy {
 public:
  explicit DeploymentStrategy(const api::KindInfo* kind)
      : Strategy(kind, Traits{.status_subresource = true,
                              .clear_status_on_create = true,
                              .generation = true}) {}

  bool has_scale() const override { return true; }

  absl::StatusOr<autoscaling::v1::Scale> ToScale(
      const google::protobuf::Message& object) const override {
    const auto& d = static_cast<const Deployment&>(object);
    return ScaleFromReplicas(object, d.spec().has_replicas() ? d.spec().replicas() : 1,
                             d.status().replicas(),
                             d.spec().has_selector() ? &d.spec().selector() : nullptr);
  }

  absl::Status ApplyScale(const autoscaling::v1::Scale& scale,
                          google::protobuf::Message* object) const override {
    static_cast<Deployment*>(object)->mutable_spec()->set_replicas(scale.spec().replicas());
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<Strategy> NewDeploymentStrategy(const api::KindInfo* kind) {
  return std::make_unique<DeploymentStrategy>(kind);
}

}  // namespace minik8s::apiserver
