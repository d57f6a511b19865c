#include "controllers/util/owner_refs.h"

namespace minik8s::controllers {

using minik8s::meta::v1::ObjectMeta;
using minik8s::meta::v1::OwnerReference;

const OwnerReference* GetControllerOf(const ObjectMeta& meta) {
  for (const OwnerReference& ref : meta.owner_references()) {
    if (ref.has_controller() && ref.controller()) return &ref;
  }
  return nullptr;
}

OwnerReference NewControllerRef(const ObjectMeta& owner, absl::string_view api_version,
                                absl::string_view kind) {
  OwnerReference ref;
  ref.set_api_version(std::string(api_version));
  ref.set_kind(std::string(kind));
  ref.set_name(owner.name());
  ref.set_uid(owner.uid());
  ref.set_controller(true);
  ref.set_block_owner_deletion(true);
  return ref;
}

bool RemoveOwnerReference(ObjectMeta* meta, absl::string_view uid) {
  auto* refs = meta->mutable_owner_references();
  int before = refs->size();
  for (int i = refs->size() - 1; i >= 0; --i) {
    if (refs->Get(i).uid() == uid) refs->DeleteSubrange(i, 1);
  }
  return refs->size() != before;
}

ClaimAction DecideClaim(const ObjectMeta& owner, const api::LabelSelector& selector,
                        const ObjectMeta& object) {
  const OwnerReference* ref = GetControllerOf(object);
  const bool matches = selector.Matches(object.labels());
  if (ref != nullptr) {
    if (ref->uid() != owner.uid()) return ClaimAction::kIgnore;
    if (matches) return ClaimAction::kKeep;
    // A controller being deleted keeps what it has (the GC handles it).
    if (owner.has_deletion_timestamp()) return ClaimAction::kIgnore;
    return ClaimAction::kRelease;
  }
  // Orphan: adopt only when both sides are alive and the labels match.
  if (owner.has_deletion_timestamp() || !matches) return ClaimAction::kIgnore;
  if (object.has_deletion_timestamp()) return ClaimAction::kIgnore;
  return ClaimAction::kAdopt;
}

}  // namespace minik8s::controllers
