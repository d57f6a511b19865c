#include "apiserver/registry/admission.h"

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/object_meta.h"

#ifdef MINIK8S_APISERVER_HAVE_VALIDATION
#include "api/validation/defaults.h"
#include "api/validation/validation.h"
#include "api/validation/validation_service.h"
#endif

namespace minik8s::apiserver {

#ifdef MINIK8S_APISERVER_HAVE_VALIDATION

bool HaveValidation() { return true; }

namespace {

// Kubernetes' metav1.CauseType of a field error.
const char* CauseReason(validation::FieldError::Type type) {
  using Type = validation::FieldError::Type;
  switch (type) {
    case Type::kRequired:
      return "FieldValueRequired";
    case Type::kInvalid:
      return "FieldValueInvalid";
    case Type::kNotSupported:
      return "FieldValueNotSupported";
    case Type::kDuplicate:
      return "FieldValueDuplicate";
    case Type::kForbidden:
      return "FieldValueForbidden";
    case Type::kTooLong:
      return "FieldValueTooLong";
    case Type::kTooMany:
      return "FieldValueTooMany";
    case Type::kNotFound:
      return "FieldValueNotFound";
  }
  return "FieldValueInvalid";
}

}  // namespace

void ApplyDefaults(google::protobuf::Message* object) { validation::SetDefaults(object); }

absl::Status ValidateForStorage(const api::KindInfo& kind, const google::protobuf::Message& object,
                                const google::protobuf::Message* old,
                                const AdmissionOptions& options) {
  validation::FieldErrors errors = old == nullptr ? validation::ValidateObject(object)
                                                  : validation::ValidateObjectUpdate(object, *old);
  if (options.allow_loopback_endpoints &&
      (kind.kind == "Endpoints" || kind.kind == "EndpointSlice")) {
    std::erase_if(errors, [](const validation::FieldError& error) {
      return error.type == validation::FieldError::Type::kInvalid &&
             error.detail == validation::kLoopbackRangeMsg;
    });
  }
  return InvalidObjectStatus(kind, object, errors);
}

absl::Status InvalidObjectStatus(const api::KindInfo& kind, const google::protobuf::Message& object,
                                 const validation::FieldErrors& errors) {
  if (errors.empty()) return absl::OkStatus();
  std::vector<meta::v1::StatusCause> causes;
  for (const validation::FieldError& error : errors) {
    meta::v1::StatusCause cause;
    cause.set_reason(CauseReason(error.type));
    cause.set_message(error.ErrorBody());
    cause.set_field(error.field);
    causes.push_back(std::move(cause));
  }
  std::string kind_group = kind.group.empty() ? kind.kind : kind.kind + "." + kind.group;
  return api::NewInvalid(kind, Meta(object).name(),
                         validation::InvalidMessage(kind_group, Meta(object).name(), errors),
                         causes);
}

namespace {

void AddTolerations(core::v1::Pod* pod, const AdmissionOptions& options) {
  validation::AddDefaultTolerations(pod, options.default_not_ready_toleration_seconds,
                                    options.default_unreachable_toleration_seconds);
}

}  // namespace

#else

bool HaveValidation() { return false; }

namespace {

void AddTolerations(core::v1::Pod* pod, const AdmissionOptions& options) {}

}  // namespace

void ApplyDefaults(google::protobuf::Message* object) {}

absl::Status ValidateForStorage(const api::KindInfo& kind, const google::protobuf::Message& object,
                                const google::protobuf::Message* old,
                                const AdmissionOptions& options) {
  return absl::OkStatus();
}

#endif

absl::Status AdmitPodCreate(const api::KindInfo& kind, core::v1::Pod* pod,
                            const AdmissionOptions& options) {
  core::v1::PodSpec* spec = pod->mutable_spec();
  const std::string& name = pod->metadata().name();
  // ServiceAccount.
  if (spec->service_account_name().empty()) {
    spec->set_service_account_name(kDefaultServiceAccountName);
  }
  // DefaultTolerationSeconds.
  AddTolerations(pod, options);
  // Priority.
  int32_t priority = 0;
  const std::string& class_name = spec->priority_class_name();
  if (class_name == kSystemClusterCritical) {
    priority = kSystemClusterCriticalPriority;
  } else if (class_name == kSystemNodeCritical) {
    priority = kSystemNodeCriticalPriority;
  } else if (!class_name.empty()) {
    return api::NewForbidden(kind, name,
                             absl::StrCat("no PriorityClass with name ", class_name, " was found"));
  }
  if (spec->has_priority() && spec->priority() != priority) {
    return api::NewForbidden(
        kind, name,
        absl::StrCat("the integer value of priority (", spec->priority(),
                     ") must not be provided in pod spec; priority admission controller "
                     "computed ",
                     priority, " from the given PriorityClass name"));
  }
  spec->set_priority(priority);
  if (!spec->preemption_policy().empty() && spec->preemption_policy() != kPreemptLowerPriority) {
    return api::NewForbidden(
        kind, name,
        absl::StrCat("the string value of PreemptionPolicy (", spec->preemption_policy(),
                     ") must not be provided in pod spec; priority admission controller "
                     "computed ",
                     kPreemptLowerPriority, " from the given PriorityClass name"));
  }
  spec->set_preemption_policy(kPreemptLowerPriority);
  return absl::OkStatus();
}

void AdmitPodUpdate(core::v1::Pod* pod, const core::v1::Pod& old, const AdmissionOptions& options) {
  AddTolerations(pod, options);
  core::v1::PodSpec* spec = pod->mutable_spec();
  if (!spec->has_priority() && old.spec().has_priority()) {
    spec->set_priority(old.spec().priority());
  }
  if (spec->preemption_policy().empty() && !old.spec().preemption_policy().empty()) {
    spec->set_preemption_policy(old.spec().preemption_policy());
  }
}

}  // namespace minik8s::apiserver
