// The server piece of every kind in kinds.def (kinds/<name>/<name>_strategy.cc,
// compiled into minik8s_apiserver): the factory of the kind's Strategy (its
// traits and hooks, strategy.h). apiserver/registry/registry.cc lists them.
//
// Thread safety: the factories build new values.
#ifndef MINIK8S_KINDS_STRATEGY_ENTRY_H_
#define MINIK8S_KINDS_STRATEGY_ENTRY_H_

#include <memory>

#include "api/scheme.h"
#include "apiserver/registry/strategy.h"

namespace minik8s::apiserver {

#define MINIK8S_KIND(Name) std::unique_ptr<Strategy> New##Name##Strategy(const api::KindInfo* kind);
#include "kinds/kinds.def"
#undef MINIK8S_KIND

}  // namespace minik8s::apiserver

#endif  // MINIK8S_KINDS_STRATEGY_ENTRY_H_
