#include "apiserver/authz/cache_policy_source.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace minik8s::apiserver::authz {

namespace {

WatchCache* CacheOf(const Handler* handler, const char* resource) {
  absl::StatusOr<const Strategy*> strategy = handler->registry().Find(resource);
  if (!strategy.ok()) return nullptr;
  return handler->CacheFor(&(*strategy)->kind());
}

template <typename T>
absl::Status ListInto(WatchCache* cache, const char* resource, std::vector<T>* out) {
  if (cache == nullptr) return absl::UnavailableError(absl::StrCat("no cache of ", resource));
  if (!cache->WaitReady(CachePolicySource::kReadyTimeout)) {
    return absl::UnavailableError(absl::StrCat("the cache of ", resource, " is not ready"));
  }
  WatchCache::ListResult listed = cache->List(Filter{}, "", 0);
  out->reserve(listed.items.size());
  for (const CachedObjectPtr& item : listed.items) {
    if (item->object->GetDescriptor() != T::descriptor()) continue;
    out->push_back(static_cast<const T&>(*item->object));
  }
  return absl::OkStatus();
}

}  // namespace

CachePolicySource::CachePolicySource(const Handler* handler)
    : roles_(CacheOf(handler, "roles")),
      cluster_roles_(CacheOf(handler, "clusterroles")),
      role_bindings_(CacheOf(handler, "rolebindings")),
      cluster_role_bindings_(CacheOf(handler, "clusterrolebindings")) {
  for (WatchCache* cache : {roles_, cluster_roles_, role_bindings_, cluster_role_bindings_}) {
    if (cache == nullptr) continue;
    const int id = cache->AddChangeListener(
        [this](EventType, const CachedObject*) { generation_.fetch_add(1); });
    listeners_.emplace_back(cache, id);
  }
}

CachePolicySource::~CachePolicySource() {
  for (const auto& [cache, id] : listeners_) cache->RemoveChangeListener(id);
}

absl::StatusOr<Policy> CachePolicySource::Load() const {
  Policy policy;
  absl::Status status = ListInto(roles_, "roles", &policy.roles);
  if (status.ok()) status = ListInto(cluster_roles_, "clusterroles", &policy.cluster_roles);
  if (status.ok()) status = ListInto(role_bindings_, "rolebindings", &policy.role_bindings);
  if (status.ok()) {
    status = ListInto(cluster_role_bindings_, "clusterrolebindings", &policy.cluster_role_bindings);
  }
  if (!status.ok()) return status;
  return policy;
}

}  // namespace minik8s::apiserver::authz
