#include "controllers/util/claim_pods.h"

#include <utility>

#include "api/errors.h"
#include "controllers/util/owner_refs.h"

namespace minik8s::controllers {

using PodPtr = std::shared_ptr<const minik8s::core::v1::Pod>;

absl::StatusOr<std::vector<PodPtr>> ClaimPods(const minik8s::meta::v1::ObjectMeta& owner,
                                              absl::string_view api_version, absl::string_view kind,
                                              const api::LabelSelector& selector,
                                              const std::vector<PodPtr>& pods,
                                              const PodClaimer& claimer) {
  std::vector<PodPtr> claimed;
  bool checked_fresh = false;
  bool can_adopt = false;
  absl::Status first_error;
  auto write = [&](const minik8s::core::v1::Pod& pod, bool keep) {
    absl::StatusOr<minik8s::core::v1::Pod> updated = claimer.update_pod(pod);
    if (updated.ok()) {
      if (keep)
        claimed.push_back(std::make_shared<const minik8s::core::v1::Pod>(*std::move(updated)));
    } else if (!api::IsNotFound(updated.status()) && first_error.ok()) {
      first_error = updated.status();
    }
  };
  for (const PodPtr& pod : pods) {
    switch (DecideClaim(owner, selector, pod->metadata())) {
      case ClaimAction::kIgnore:
        break;
      case ClaimAction::kKeep:
        claimed.push_back(pod);
        break;
      case ClaimAction::kAdopt: {
        // The cache may be stale: take nothing for an owner that is gone
        // or being deleted.
        if (!checked_fresh) {
          checked_fresh = true;
          can_adopt = claimer.owner_is_live();
        }
        if (!can_adopt || (claimer.may_adopt && !claimer.may_adopt(*pod))) break;
        minik8s::core::v1::Pod copy = *pod;
        *copy.mutable_metadata()->add_owner_references() =
            NewControllerRef(owner, api_version, kind);
        write(copy, /*keep=*/true);
        break;
      }
      case ClaimAction::kRelease: {
        minik8s::core::v1::Pod copy = *pod;
        RemoveOwnerReference(copy.mutable_metadata(), owner.uid());
        write(copy, /*keep=*/false);
        break;
      }
    }
  }
  if (!first_error.ok()) return first_error;
  return claimed;
}

}  // namespace minik8s::controllers
