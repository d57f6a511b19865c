#include "apiserver/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace minik8s::apiserver {
namespace {

meta::v1::StatusDetails DetailsFor(const api::KindInfo& kind, absl::string_view name) {
  meta::v1::StatusDetails details;
  details.set_name(std::string(name));
  details.set_group(kind.group);
  details.set_kind(kind.resource);
  return details;
}

struct CodeInfo {
  const char* reason;
  int http;
};

CodeInfo DefaultsForCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kNotFound:
      return {"NotFound", 404};
    case absl::StatusCode::kAlreadyExists:
      return {"AlreadyExists", 409};
    case absl::StatusCode::kAborted:
      return {"Conflict", 409};
    case absl::StatusCode::kInvalidArgument:
      return {"BadRequest", 400};
    case absl::StatusCode::kOutOfRange:
      return {"Expired", 410};
    case absl::StatusCode::kUnavailable:
      return {"ServiceUnavailable", 503};
    case absl::StatusCode::kDeadlineExceeded:
      return {"Timeout", 504};
    case absl::StatusCode::kFailedPrecondition:
      return {"Forbidden", 403};
    case absl::StatusCode::kUnimplemented:
      return {"MethodNotAllowed", 405};
    case absl::StatusCode::kResourceExhausted:
      return {"TooManyRequests", 429};
    default:
      return {"InternalError", 500};
  }
}

}  // namespace

meta::v1::Status ToApiStatus(const absl::Status& status) {
  meta::v1::Status out;
  auto payload = status.GetPayload(kStatusPayloadUrl);
  if (payload.has_value() && out.ParseFromString(std::string(*payload))) return out;
  out.Clear();
  out.set_api_version("v1");
  out.set_kind("Status");
  if (status.ok()) {
    out.set_status("Success");
    out.set_code(200);
    return out;
  }
  CodeInfo info = DefaultsForCode(status.code());
  out.set_status("Failure");
  out.set_message(std::string(status.message()));
  out.set_reason(info.reason);
  out.set_code(info.http);
  return out;
}

std::string Reason(const absl::Status& status) {
  if (status.ok()) return "";
  return ToApiStatus(status).reason();
}

absl::Status NewApiError(absl::StatusCode code, absl::string_view reason, int http_code,
                         absl::string_view message, const meta::v1::StatusDetails& details) {
  meta::v1::Status api_status;
  api_status.set_api_version("v1");
  api_status.set_kind("Status");
  api_status.set_status("Failure");
  api_status.set_message(std::string(message));
  api_status.set_reason(std::string(reason));
  api_status.set_code(http_code);
  if (details.ByteSizeLong() > 0) *api_status.mutable_details() = details;
  absl::Status status(code, message);
  status.SetPayload(kStatusPayloadUrl, absl::Cord(api_status.SerializeAsString()));
  return status;
}

absl::Status NewNotFound(const api::KindInfo& kind, absl::string_view name) {
  return NewApiError(absl::StatusCode::kNotFound, "NotFound", 404,
                     absl::StrCat(kind.GroupResource(), " \"", name, "\" not found"),
                     DetailsFor(kind, name));
}

absl::Status NewAlreadyExists(const api::KindInfo& kind, absl::string_view name) {
  return NewApiError(absl::StatusCode::kAlreadyExists, "AlreadyExists", 409,
                     absl::StrCat(kind.GroupResource(), " \"", name, "\" already exists"),
                     DetailsFor(kind, name));
}

absl::Status NewConflict(const api::KindInfo& kind, absl::string_view name,
                         absl::string_view detail) {
  return NewApiError(absl::StatusCode::kAborted, "Conflict", 409,
                     absl::StrCat("Operation cannot be fulfilled on ", kind.GroupResource(),
                                  " \"", name, "\": ", detail),
                     DetailsFor(kind, name));
}

absl::Status NewStaleConflict(const api::KindInfo& kind, absl::string_view name) {
  return NewConflict(kind, name,
                     "the object has been modified; please apply your changes to the latest "
                     "version and try again");
}

absl::Status NewInvalid(const api::KindInfo& kind, absl::string_view name,
                        absl::string_view message,
                        const std::vector<meta::v1::StatusCause>& causes) {
  meta::v1::StatusDetails details;
  details.set_name(std::string(name));
  details.set_group(kind.group);
  details.set_kind(kind.kind);
  for (const meta::v1::StatusCause& cause : causes) *details.add_causes() = cause;
  return NewApiError(absl::StatusCode::kInvalidArgument, "Invalid", 422, message, details);
}

absl::Status NewBadRequest(absl::string_view message) {
  return NewApiError(absl::StatusCode::kInvalidArgument, "BadRequest", 400, message, {});
}

absl::Status NewGone(absl::string_view message) {
  return NewApiError(absl::StatusCode::kOutOfRange, "Expired", 410, message, {});
}

absl::Status NewForbidden(const api::KindInfo& kind, absl::string_view name,
                          absl::string_view detail) {
  return NewApiError(absl::StatusCode::kFailedPrecondition, "Forbidden", 403,
                     absl::StrCat(kind.GroupResource(), " \"", name, "\" is forbidden: ", detail),
                     DetailsFor(kind, name));
}

absl::Status NewTimeout(absl::string_view message) {
  return NewApiError(absl::StatusCode::kDeadlineExceeded, "Timeout", 504, message, {});
}

absl::Status NewMethodNotSupported(const api::KindInfo& kind, absl::string_view action) {
  return NewApiError(absl::StatusCode::kUnimplemented, "MethodNotAllowed", 405,
                     absl::StrCat(action, " is not supported on resources of kind \"",
                                  kind.GroupResource(), "\""),
                     {});
}

absl::Status NewInternalError(absl::string_view message) {
  return NewApiError(absl::StatusCode::kInternal, "InternalError", 500,
                     absl::StrCat("Internal error occurred: ", message), {});
}

absl::Status NewServiceUnavailable(absl::string_view message) {
  return NewApiError(absl::StatusCode::kUnavailable, "ServiceUnavailable", 503, message, {});
}

}  // namespace minik8s::apiserver
