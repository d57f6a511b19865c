// Leases (coordination.k8s.io): plain spec objects, no status.
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {

std::unique_ptr<Strategy> NewLeaseStrategy(const api::KindInfo* kind) {
  return std::make_unique<Strategy>(kind, Strategy::Traits{});
}

}  // namespace minik8s::apiserver
