// apps/v1 ReplicaSet: the replicated strategy (replicated.h).
#include "k8s/apps/v1/apps.pb.h"
#include "kinds/replicated_strategy.h"
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {

std::unique_ptr<Strategy> NewReplicaSetStrategy(const api::KindInfo* kind) {
  return std::make_unique<ReplicatedStrategy<apps::v1::ReplicaSet>>(kind);
}

}  // namespace minik8s::apiserver
