// ownerReferences helpers (Kubernetes metav1.GetControllerOf,
// NewControllerRef) and the adopt/release decision of the
// ControllerRefManager (pkg/controller/controller_ref_manager.go).
//
// Thread safety: all functions are pure.
#ifndef MINIK8S_CONTROLLERS_UTIL_OWNER_REFS_H_
#define MINIK8S_CONTROLLERS_UTIL_OWNER_REFS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "api/selector/labels.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::controllers {

// The ownerReference with controller=true, or nullptr.
const minik8s::meta::v1::OwnerReference* GetControllerOf(const minik8s::meta::v1::ObjectMeta& meta);

// controller=true, blockOwnerDeletion=true reference to `owner`.
minik8s::meta::v1::OwnerReference NewControllerRef(const minik8s::meta::v1::ObjectMeta& owner,
                                                   absl::string_view api_version,
                                                   absl::string_view kind);

// Removes every ownerReference with `uid`; true when one was removed.
bool RemoveOwnerReference(minik8s::meta::v1::ObjectMeta* meta, absl::string_view uid);

using api::LabelsEqual;

// What a controller does with one candidate object (a pod for a ReplicaSet,
// a ReplicaSet for a Deployment).
enum class ClaimAction {
  kIgnore,   // owned by another controller, or not ours and not adoptable
  kKeep,     // ours and still matching
  kAdopt,    // an orphan that matches: add our controllerRef
  kRelease,  // ours but no longer matching: remove our reference
};

// `owner`: the controller's metadata; `selector`: its selector; `object`:
// the candidate's metadata.
ClaimAction DecideClaim(const minik8s::meta::v1::ObjectMeta& owner,
                        const api::LabelSelector& selector,
                        const minik8s::meta::v1::ObjectMeta& object);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_UTIL_OWNER_REFS_H_
