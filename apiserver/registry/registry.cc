#include "apiserver/registry/registry.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "kinds/scheme_entry.h"
#include "kinds/strategy_entry.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver {
namespace {

// Every kind of kinds/kinds.def, by the group-qualified resource of its
// scheme entry; each factory is defined in kinds/<name>/<name>_strategy.cc.
std::vector<KindRegistration> BuiltinKinds() {
  return {
#define MINIK8S_KIND(Name) {api::Name##Scheme().GroupResource(), New##Name##Strategy},
#include "kinds/kinds.def"
#undef MINIK8S_KIND
  };
}

}  // namespace

Registry::Registry(const api::Scheme& scheme) : Registry(scheme, BuiltinKinds()) {}

Registry::Registry(const api::Scheme& scheme, const std::vector<KindRegistration>& kinds)
    : scheme_(scheme) {
  for (const KindRegistration& r : kinds) {
    const api::KindInfo* kind = scheme.FindByResource(r.resource);
    if (kind == nullptr) {
      spdlog::error("registry: the scheme has no resource {}", r.resource);
      continue;
    }
    strategies_.push_back(r.factory(kind));
    by_kind_[kind] = strategies_.back().get();
  }
}

absl::StatusOr<const Strategy*> Registry::Find(std::string_view resource) const {
  const api::KindInfo* kind = scheme_.FindByResource(resource);
  const Strategy* strategy = kind == nullptr ? nullptr : ForKind(kind);
  if (strategy == nullptr) {
    return api::NewApiError(absl::StatusCode::kNotFound, "NotFound", 404,
                            absl::StrCat("the server could not find the requested resource (",
                                         std::string(resource), ")"),
                            {});
  }
  return strategy;
}

const Strategy* Registry::ForKind(const api::KindInfo* kind) const {
  auto it = by_kind_.find(kind);
  return it == by_kind_.end() ? nullptr : it->second;
}

}  // namespace minik8s::apiserver
