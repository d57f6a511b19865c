// The RBAC objects as the apiserver's own watch caches hold them (the
// caches of roles, clusterroles, rolebindings and clusterrolebindings, fed
// from the store like every other resource): a change listener on each
// cache moves the generation on, so the RBAC authorizer rebuilds its index
// on the first request after a write has reached the cache. A grant or a
// revocation takes effect within the cache's lag behind the store
// (milliseconds), as in Kubernetes, whose RBAC authorizer reads informers.
//
// Thread safety: safe for concurrent use. Lifetime: the handler's caches
// must outlive the source; the destructor removes the listeners.
#ifndef MINIK8S_APISERVER_AUTHZ_CACHE_POLICY_SOURCE_H_
#define MINIK8S_APISERVER_AUTHZ_CACHE_POLICY_SOURCE_H_

#include <atomic>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "apiserver/authz/rbac_authorizer.h"
#include "apiserver/handler.h"

namespace minik8s::apiserver::authz {

class CachePolicySource : public PolicySource {
 public:
  // `handler` serves the four RBAC resources from its caches.
  explicit CachePolicySource(const Handler* handler);
  ~CachePolicySource() override;

  uint64_t generation() const override { return generation_.load(); }
  // Waits up to `ready_timeout` for a cache's first list.
  absl::StatusOr<Policy> Load() const override;

  static constexpr absl::Duration kReadyTimeout = absl::Seconds(5);

 private:
  WatchCache* roles_ = nullptr;
  WatchCache* cluster_roles_ = nullptr;
  WatchCache* role_bindings_ = nullptr;
  WatchCache* cluster_role_bindings_ = nullptr;
  std::vector<std::pair<WatchCache*, int>> listeners_;
  std::atomic<uint64_t> generation_{1};
};

}  // namespace minik8s::apiserver::authz

#endif  // MINIK8S_APISERVER_AUTHZ_CACHE_POLICY_SOURCE_H_
