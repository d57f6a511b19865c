// Endpoints (core/v1): plain objects without status, written by the
// endpoints controller (or by hand for a Service without a selector).
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {

std::unique_ptr<Strategy> NewEndpointsStrategy(const api::KindInfo* kind) {
  return std::make_unique<Strategy>(kind, Strategy::Traits{});
}

}  // namespace minik8s::apiserver
