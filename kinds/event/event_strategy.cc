// Events: no status; stored with a TTL (--event-ttl) so they expire.
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {

std::unique_ptr<Strategy> NewEventStrategy(const api::KindInfo* kind) {
  return std::make_unique<Strategy>(kind, Strategy::Traits{.ttl = true});
}

}  // namespace minik8s::apiserver
