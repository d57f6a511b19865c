// The pods a controller owns, as Kubernetes' PodControllerRefManager
// claims them (pkg/controller/controller_ref_manager.go): pods it controls
// and still selects are kept, matching orphans adopted (its controllerRef
// added) and pods it no longer selects released (the reference removed).
// The ReplicaSet and Job controllers share it.
//
// Thread safety: the function is reentrant; the callbacks are called on the
// calling thread.
#ifndef MINIK8S_CONTROLLERS_UTIL_CLAIM_PODS_H_
#define MINIK8S_CONTROLLERS_UTIL_CLAIM_PODS_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/selector/labels.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::controllers {

struct PodClaimer {
  // A fresh read (not the cache) that the owner is still the same live
  // object; asked once, before the first adoption.
  std::function<bool()> owner_is_live;
  // Whether this orphan may be adopted at all (a Job leaves finished pods
  // alone); null: every matching orphan.
  std::function<bool(const minik8s::core::v1::Pod&)> may_adopt;
  // Writes the pod back with its changed ownerReferences.
  std::function<absl::StatusOr<minik8s::core::v1::Pod>(const minik8s::core::v1::Pod&)> update_pod;
};

// `owner` (its metadata, apiVersion and kind) claims from `pods` with
// `selector`. Returns the pods it owns afterwards (adopted ones as written);
// the first failed write (a pod gone meanwhile is not one) after trying all.
absl::StatusOr<std::vector<std::shared_ptr<const minik8s::core::v1::Pod>>> ClaimPods(
    const minik8s::meta::v1::ObjectMeta& owner, absl::string_view api_version,
    absl::string_view kind, const api::LabelSelector& selector,
    const std::vector<std::shared_ptr<const minik8s::core::v1::Pod>>& pods,
    const PodClaimer& claimer);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_UTIL_CLAIM_PODS_H_
