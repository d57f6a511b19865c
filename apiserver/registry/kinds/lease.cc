// Leases (coordination.k8s.io): plain spec objects, no status.
#include "apiserver/registry/kinds/kinds.h"

namespace minik8s::apiserver {

std::unique_ptr<Strategy> NewLeaseStrategy(const api::KindInfo* kind) {
  return std::make_unique<Strategy>(kind, Strategy::Traits{});
}

}  // namespace minik8s::apiserver
