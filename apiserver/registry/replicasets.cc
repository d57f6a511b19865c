// ReplicaSets: status subresource, status cleared on create, generation on
// spec change, scale subresource.
#include "apiserver/registry/kinds.h"
#include "k8s/apps/v1/apps.pb.h"

namespace minik8s::apiserver {
namespace {

using apps::v1::ReplicaSet;

class ReplicaSetStrategy : public Strategy {
 public:
  explicit ReplicaSetStrategy(const api::KindInfo* kind)
      : Strategy(kind, Traits{.status_subresource = true,
                              .clear_status_on_create = true,
                              .generation = true}) {}

  bool has_scale() const override { return true; }

  absl::StatusOr<autoscaling::v1::Scale> ToScale(
      const google::protobuf::Message& object) const override {
    const auto& rs = static_cast<const ReplicaSet&>(object);
    return ScaleFromReplicas(object, rs.spec().has_replicas() ? rs.spec().replicas() : 1,
                             rs.status().replicas(),
                             rs.spec().has_selector() ? &rs.spec().selector() : nullptr);
  }

  absl::Status ApplyScale(const autoscaling::v1::Scale& scale,
                          google::protobuf::Message* object) const override {
    static_cast<ReplicaSet*>(object)->mutable_spec()->set_replicas(scale.spec().replicas());
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<Strategy> NewReplicaSetStrategy(const api::KindInfo* kind) {
  return std::make_unique<ReplicaSetStrategy>(kind);
}

}  // namespace minik8s::apiserver
