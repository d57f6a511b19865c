// The resources the apiserver serves: one Strategy per kind, looked up by
// whatever name the scheme resolves ("pods", "po", "deployments.apps").
//
// Thread safety: immutable after construction.
#ifndef MINIK8S_APISERVER_REGISTRY_REGISTRY_H_
#define MINIK8S_APISERVER_REGISTRY_REGISTRY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "api/scheme.h"
#include "apiserver/registry/strategy.h"

namespace minik8s::apiserver {

// One served resource: the name the scheme resolves (group-qualified:
// "deployments.apps") and the factory of its strategy (for the built-in
// kinds, kinds/<name>/<name>_strategy.cc).
struct KindRegistration {
  std::string resource;
  std::unique_ptr<Strategy> (*factory)(const api::KindInfo* kind);
};

class Registry {
 public:
  // Every kind of kinds/kinds.def, in its order. `scheme` must outlive the
  // registry.
  explicit Registry(const api::Scheme& scheme);
  // Exactly `kinds` (tests, or a server with kinds of its own). A resource
  // the scheme does not know is logged and skipped.
  Registry(const api::Scheme& scheme, const std::vector<KindRegistration>& kinds);

  // NotFound `the server could not find the requested resource (<name>)`.
  absl::StatusOr<const Strategy*> Find(std::string_view resource) const;
  // The strategy of `kind`, or nullptr.
  const Strategy* ForKind(const api::KindInfo* kind) const;
  // In registration order (namespaces first).
  const std::vector<std::unique_ptr<Strategy>>& strategies() const { return strategies_; }
  const api::Scheme& scheme() const { return scheme_; }

 private:
  const api::Scheme& scheme_;
  std::vector<std::unique_ptr<Strategy>> strategies_;
  absl::flat_hash_map<const api::KindInfo*, const Strategy*> by_kind_;
};

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_REGISTRY_REGISTRY_H_
