// The strategy shared by the kinds that keep a number of pod replicas
// (apps/v1 Deployment and ReplicaSet): status subresource, status cleared on
// create, generation on spec change, the scale subresource read from
// spec.replicas / status.replicas / spec.selector and written to
// spec.replicas, and the "all" discovery category. Each kind's file only
// names its message type (kinds/deployment/, kinds/replicaset/).
//
// T must have spec().replicas() (optional int32), spec().selector() (a
// meta.v1.LabelSelector) and status().replicas().
//
// Thread safety: immutable after construction.
#ifndef MINIK8S_KINDS_REPLICATED_STRATEGY_H_
#define MINIK8S_KINDS_REPLICATED_STRATEGY_H_

#include "apiserver/registry/strategy.h"

namespace minik8s::apiserver {

template <typename T>
class ReplicatedStrategy : public Strategy {
 public:
  explicit ReplicatedStrategy(const api::KindInfo* kind)
      : Strategy(kind, Traits{.status_subresource = true,
                              .clear_status_on_create = true,
                              .generation = true,
                              .categories = {"all"}}) {}

  bool has_scale() const override { return true; }

  absl::StatusOr<autoscaling::v1::Scale> ToScale(
      const google::protobuf::Message& object) const override {
    const auto& typed = static_cast<const T&>(object);
    // An unset spec.replicas means 1 (the defaulted value).
    return ScaleFromReplicas(object, typed.spec().has_replicas() ? typed.spec().replicas() : 1,
                             typed.status().replicas(),
                             typed.spec().has_selector() ? &typed.spec().selector() : nullptr);
  }

  absl::Status ApplyScale(const autoscaling::v1::Scale& scale,
                          google::protobuf::Message* object) const override {
    static_cast<T*>(object)->mutable_spec()->set_replicas(scale.spec().replicas());
    return absl::OkStatus();
  }
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_KINDS_REPLICATED_STRATEGY_H_
