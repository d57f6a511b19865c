// ServiceAccounts (core/v1): plain objects, no status, no generation; the
// "token" subresource issues signed tokens (apiserver/serviceaccount/).
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {

std::unique_ptr<Strategy> NewServiceAccountStrategy(const api::KindInfo* kind) {
  return std::make_unique<Strategy>(kind, Strategy::Traits{.token_subresource = true});
}

}  // namespace minik8s::apiserver
