// Secrets (core/v1): plain objects, no status, no generation. stringData is
// folded into data by defaulting, so it is never stored.
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {

std::unique_ptr<Strategy> NewSecretStrategy(const api::KindInfo* kind) {
  return std::make_unique<Strategy>(kind, Strategy::Traits{});
}

}  // namespace minik8s::apiserver
