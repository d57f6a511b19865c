#include "apiserver/registry/admission.h"

#include "apiserver/errors.h"
#include "apiserver/object_meta.h"

#ifdef MINIK8S_APISERVER_HAVE_VALIDATION
#include "api/validation/defaults.h"
#include "api/validation/validation.h"
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
                                const google::protobuf::Message* old) {
  validation::FieldErrors errors = old == nullptr ? validation::ValidateObject(object)
                                                  : validation::ValidateObjectUpdate(object, *old);
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
  return NewInvalid(kind, Meta(object).name(),
                    validation::InvalidMessage(kind_group, Meta(object).name(), errors), causes);
}

#else

bool HaveValidation() { return false; }

void ApplyDefaults(google::protobuf::Message* object) {}

absl::Status ValidateForStorage(const api::KindInfo& kind, const google::protobuf::Message& object,
                                const google::protobuf::Message* old) {
  return absl::OkStatus();
}

#endif

}  // namespace minik8s::apiserver
