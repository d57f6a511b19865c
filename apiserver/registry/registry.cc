#include "apiserver/registry/registry.h"

#include <iterator>

#include "absl/strings/str_cat.h"
#include "apiserver/errors.h"
#include "apiserver/registry/kinds/kinds.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver {
namespace {

// Every served resource. A new kind: a new file in kinds/ with its factory,
// one line here.
const KindRegistration kBuiltinKinds[] = {
    {"namespaces", NewNamespaceStrategy},
    {"pods", NewPodStrategy},
    {"nodes", NewNodeStrategy},
    {"events", NewEventStrategy},
    {"deployments.apps", NewDeploymentStrategy},
    {"replicasets.apps", NewReplicaSetStrategy},
    {"leases.coordination.k8s.io", NewLeaseStrategy},
};

}  // namespace

Registry::Registry(const api::Scheme& scheme)
    : Registry(scheme, std::vector<KindRegistration>(std::begin(kBuiltinKinds),
                                                     std::end(kBuiltinKinds))) {}

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
    return NewApiError(absl::StatusCode::kNotFound, "NotFound", 404,
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
