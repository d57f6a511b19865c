// Nodes: cluster-scoped; the kubelet registers a node with its status
// (capacity), so status is kept on create; status subresource afterwards.
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {

std::unique_ptr<Strategy> NewNodeStrategy(const api::KindInfo* kind) {
  return std::make_unique<Strategy>(kind, Strategy::Traits{.status_subresource = true});
}

}  // namespace minik8s::apiserver
