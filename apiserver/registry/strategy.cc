#include "apiserver/registry/strategy.h"

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/selector/labels.h"
#include "apiserver/object_meta.h"

namespace minik8s::apiserver {

void KeepSystemMetadata(const meta::v1::ObjectMeta& old, meta::v1::ObjectMeta* object) {
  object->set_name(old.name());
  object->set_namespace_(old.namespace_());
  object->set_uid(old.uid());
  object->set_generation(old.generation());
  object->set_generate_name(old.generate_name());
  if (old.has_creation_timestamp()) {
    *object->mutable_creation_timestamp() = old.creation_timestamp();
  } else {
    object->clear_creation_timestamp();
  }
  if (old.has_deletion_timestamp()) {
    *object->mutable_deletion_timestamp() = old.deletion_timestamp();
  } else {
    object->clear_deletion_timestamp();
  }
  if (old.has_deletion_grace_period_seconds()) {
    object->set_deletion_grace_period_seconds(old.deletion_grace_period_seconds());
  } else {
    object->clear_deletion_grace_period_seconds();
  }
}

void Strategy::PrepareForCreate(google::protobuf::Message* object) const {
  if (traits_.status_subresource && traits_.clear_status_on_create) ClearField(object, "status");
  meta::v1::ObjectMeta* meta = MutableMeta(object);
  if (meta == nullptr) return;
  meta->set_generation(traits_.generation ? 1 : 0);
}

void Strategy::PrepareForUpdate(google::protobuf::Message* object,
                                const google::protobuf::Message& old) const {
  if (traits_.status_subresource) CopyField(old, object, "status");
  meta::v1::ObjectMeta* meta = MutableMeta(object);
  if (meta == nullptr) return;
  std::string resource_version = meta->resource_version();
  KeepSystemMetadata(Meta(old), meta);
  meta->set_resource_version(resource_version);
  if (traits_.generation && !FieldEquals(*object, old, "spec")) {
    meta->set_generation(Meta(old).generation() + 1);
  }
}

void Strategy::PrepareForStatusUpdate(google::protobuf::Message* object,
                                      const google::protobuf::Message& old) const {
  CopyField(old, object, "spec");
  meta::v1::ObjectMeta* meta = MutableMeta(object);
  if (meta == nullptr) return;
  std::string resource_version = meta->resource_version();
  *meta = Meta(old);
  meta->set_resource_version(resource_version);
}

void Strategy::PrepareForApprovalUpdate(google::protobuf::Message* object,
                                        const google::protobuf::Message& old) const {
  PrepareForStatusUpdate(object, old);
}

absl::Status Strategy::ValidateUpdate(const google::protobuf::Message& object,
                                      const google::protobuf::Message& old,
                                      const std::string& subresource,
                                      const AdmissionOptions& options) const {
  return ValidateForStorage(*kind_, object, &old, options);
}

absl::Status Strategy::Admit(google::protobuf::Message* object,
                             const google::protobuf::Message* old,
                             const AdmissionOptions& options) const {
  return absl::OkStatus();
}

int64_t Strategy::GracePeriod(const google::protobuf::Message& object, int64_t requested) const {
  return 0;
}

absl::StatusOr<autoscaling::v1::Scale> Strategy::ToScale(
    const google::protobuf::Message& object) const {
  return api::NewMethodNotSupported(*kind_, "scale");
}

absl::Status Strategy::ApplyScale(const autoscaling::v1::Scale& scale,
                                  google::protobuf::Message* object) const {
  return api::NewMethodNotSupported(*kind_, "scale");
}

absl::StatusOr<autoscaling::v1::Scale> ScaleFromReplicas(const google::protobuf::Message& object,
                                                         int32_t spec_replicas,
                                                         int32_t status_replicas,
                                                         const meta::v1::LabelSelector* selector) {
  autoscaling::v1::Scale scale;
  scale.set_api_version("autoscaling/v1");
  scale.set_kind("Scale");
  const meta::v1::ObjectMeta& meta = Meta(object);
  scale.mutable_metadata()->set_name(meta.name());
  scale.mutable_metadata()->set_namespace_(meta.namespace_());
  scale.mutable_metadata()->set_uid(meta.uid());
  scale.mutable_metadata()->set_resource_version(meta.resource_version());
  if (meta.has_creation_timestamp()) {
    *scale.mutable_metadata()->mutable_creation_timestamp() = meta.creation_timestamp();
  }
  scale.mutable_spec()->set_replicas(spec_replicas);
  scale.mutable_status()->set_replicas(status_replicas);
  if (selector != nullptr) {
    absl::StatusOr<api::LabelSelector> parsed = api::LabelSelector::FromProto(*selector);
    if (!parsed.ok()) return api::NewInternalError(parsed.status().message());
    scale.mutable_status()->set_selector(parsed->ToString());
  }
  return scale;
}

}  // namespace minik8s::apiserver
