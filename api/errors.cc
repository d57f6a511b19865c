#include "api/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "api/yaml_scalar.h"

namespace minik8s::api {
namespace {

struct CodeInfo {
  absl::string_view reason;
  int http;
};

// The reason and HTTP code the apiserver gives an error that has no
// meta.v1.Status of its own.
CodeInfo DefaultsForCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kNotFound:
      return {kReasonNotFound, 404};
    case absl::StatusCode::kAlreadyExists:
      return {kReasonAlreadyExists, 409};
    case absl::StatusCode::kAborted:
      return {kReasonConflict, 409};
    case absl::StatusCode::kInvalidArgument:
      return {kReasonBadRequest, 400};
    case absl::StatusCode::kOutOfRange:
      return {kReasonExpired, 410};
    case absl::StatusCode::kUnavailable:
      return {kReasonServiceUnavailable, 503};
    case absl::StatusCode::kDeadlineExceeded:
      return {kReasonTimeout, 504};
    case absl::StatusCode::kFailedPrecondition:
      return {kReasonForbidden, 403};
    case absl::StatusCode::kUnimplemented:
      return {kReasonMethodNotAllowed, 405};
    case absl::StatusCode::kResourceExhausted:
      return {kReasonTooManyRequests, 429};
    default:
      return {kReasonInternalError, 500};
  }
}

absl::StatusCode CodeFromStatusObject(const meta::v1::Status& s) {
  const std::string& r = s.reason();
  if (r == kReasonNotFound) return absl::StatusCode::kNotFound;
  if (r == kReasonAlreadyExists) return absl::StatusCode::kAlreadyExists;
  if (r == kReasonConflict) return absl::StatusCode::kAborted;
  if (r == kReasonInvalid || r == kReasonBadRequest) return absl::StatusCode::kInvalidArgument;
  if (r == kReasonGone || r == kReasonExpired) return absl::StatusCode::kOutOfRange;
  if (r == kReasonServiceUnavailable) return absl::StatusCode::kUnavailable;
  if (r == kReasonTimeout) return absl::StatusCode::kDeadlineExceeded;
  if (r == kReasonForbidden) return absl::StatusCode::kFailedPrecondition;
  if (r == kReasonMethodNotAllowed) return absl::StatusCode::kUnimplemented;
  if (r == kReasonTooManyRequests) return absl::StatusCode::kResourceExhausted;
  if (r == kReasonInternalError) return absl::StatusCode::kInternal;
  switch (s.code()) {
    case 400:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 403:
      return absl::StatusCode::kFailedPrecondition;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return absl::StatusCode::kUnknown;
  }
}

meta::v1::StatusDetails DetailsFor(const KindInfo& kind, absl::string_view name) {
  meta::v1::StatusDetails details;
  details.set_name(std::string(name));
  details.set_group(kind.group);
  details.set_kind(kind.resource);
  return details;
}

bool HasReason(const absl::Status& status, absl::string_view reason) {
  return !status.ok() && Reason(status) == reason;
}

}  // namespace

absl::Status NewApiError(absl::StatusCode code, absl::string_view reason, int http_code,
                         absl::string_view message, const meta::v1::StatusDetails& details) {
  meta::v1::Status api_status;
  api_status.set_api_version("v1");
  api_status.set_kind("Status");
  api_status.set_status("Failure");
  // Messages quote client input (a patch, a field value), which need not be
  // UTF-8; proto3 strings must be.
  api_status.set_message(ToValidUtf8(std::string_view(message.data(), message.size())));
  api_status.set_reason(std::string(reason));
  api_status.set_code(http_code);
  if (details.ByteSizeLong() > 0) {
    *api_status.mutable_details() = details;
    for (meta::v1::StatusCause& cause : *api_status.mutable_details()->mutable_causes()) {
      cause.set_message(ToValidUtf8(cause.message()));
      cause.set_field(ToValidUtf8(cause.field()));
    }
  }
  absl::Status status(code, message);
  status.SetPayload(kStatusPayloadUrl, absl::Cord(api_status.SerializeAsString()));
  return status;
}

absl::Status NewNotFound(const KindInfo& kind, absl::string_view name) {
  return NewApiError(absl::StatusCode::kNotFound, kReasonNotFound, 404,
                     absl::StrCat(kind.GroupResource(), " \"", name, "\" not found"),
                     DetailsFor(kind, name));
}

absl::Status NewNotFound(absl::string_view group_resource, absl::string_view name) {
  return NewApiError(absl::StatusCode::kNotFound, kReasonNotFound, 404,
                     absl::StrCat(group_resource, " \"", name, "\" not found"));
}

absl::Status NewAlreadyExists(const KindInfo& kind, absl::string_view name) {
  return NewApiError(absl::StatusCode::kAlreadyExists, kReasonAlreadyExists, 409,
                     absl::StrCat(kind.GroupResource(), " \"", name, "\" already exists"),
                     DetailsFor(kind, name));
}

absl::Status NewAlreadyExists(absl::string_view group_resource, absl::string_view name) {
  return NewApiError(absl::StatusCode::kAlreadyExists, kReasonAlreadyExists, 409,
                     absl::StrCat(group_resource, " \"", name, "\" already exists"));
}

absl::Status NewConflict(const KindInfo& kind, absl::string_view name, absl::string_view detail) {
  return NewApiError(absl::StatusCode::kAborted, kReasonConflict, 409,
                     absl::StrCat("Operation cannot be fulfilled on ", kind.GroupResource(), " \"",
                                  name, "\": ", detail),
                     DetailsFor(kind, name));
}

absl::Status NewConflict(absl::string_view group_resource, absl::string_view name,
                         absl::string_view detail) {
  return NewApiError(absl::StatusCode::kAborted, kReasonConflict, 409,
                     absl::StrCat("Operation cannot be fulfilled on ", group_resource, " \"", name,
                                  "\": ", detail));
}

absl::Status NewStaleConflict(const KindInfo& kind, absl::string_view name) {
  return NewConflict(kind, name,
                     "the object has been modified; please apply your changes to the latest "
                     "version and try again");
}

absl::Status NewInvalid(const KindInfo& kind, absl::string_view name, absl::string_view message,
                        const std::vector<meta::v1::StatusCause>& causes) {
  meta::v1::StatusDetails details;
  details.set_name(std::string(name));
  details.set_group(kind.group);
  details.set_kind(kind.kind);
  for (const meta::v1::StatusCause& cause : causes) *details.add_causes() = cause;
  return NewApiError(absl::StatusCode::kInvalidArgument, kReasonInvalid, 422, message, details);
}

absl::Status NewInvalid(absl::string_view message) {
  return NewApiError(absl::StatusCode::kInvalidArgument, kReasonInvalid, 422, message);
}

absl::Status NewBadRequest(absl::string_view message) {
  return NewApiError(absl::StatusCode::kInvalidArgument, kReasonBadRequest, 400, message);
}

absl::Status NewGone(absl::string_view message) {
  return NewApiError(absl::StatusCode::kOutOfRange, kReasonExpired, 410, message);
}

absl::Status NewResourceExpired(absl::string_view message) { return NewGone(message); }

absl::Status NewForbidden(const KindInfo& kind, absl::string_view name, absl::string_view detail) {
  return NewApiError(absl::StatusCode::kFailedPrecondition, kReasonForbidden, 403,
                     absl::StrCat(kind.GroupResource(), " \"", name, "\" is forbidden: ", detail),
                     DetailsFor(kind, name));
}

absl::Status NewTimeout(absl::string_view message) {
  return NewApiError(absl::StatusCode::kDeadlineExceeded, kReasonTimeout, 504, message);
}

absl::Status NewMethodNotSupported(const KindInfo& kind, absl::string_view action) {
  return NewApiError(absl::StatusCode::kUnimplemented, kReasonMethodNotAllowed, 405,
                     absl::StrCat(action, " is not supported on resources of kind \"",
                                  kind.GroupResource(), "\""));
}

absl::Status NewInternalError(absl::string_view message) {
  return NewApiError(absl::StatusCode::kInternal, kReasonInternalError, 500,
                     absl::StrCat("Internal error occurred: ", message));
}

absl::Status NewServiceUnavailable(absl::string_view message) {
  return NewApiError(absl::StatusCode::kUnavailable, kReasonServiceUnavailable, 503, message);
}

std::optional<meta::v1::Status> StatusObject(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto payload = status.GetPayload(kStatusPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  meta::v1::Status decoded;
  if (!decoded.ParseFromString(std::string(*payload))) return std::nullopt;
  return decoded;
}

meta::v1::Status ToApiStatus(const absl::Status& status) {
  if (std::optional<meta::v1::Status> carried = StatusObject(status)) return *std::move(carried);
  meta::v1::Status out;
  out.set_api_version("v1");
  out.set_kind("Status");
  if (status.ok()) {
    out.set_status("Success");
    out.set_code(200);
    return out;
  }
  CodeInfo info = DefaultsForCode(status.code());
  out.set_status("Failure");
  out.set_message(ToValidUtf8(std::string_view(status.message().data(), status.message().size())));
  out.set_reason(std::string(info.reason));
  out.set_code(info.http);
  return out;
}

std::string Reason(const absl::Status& status) {
  if (status.ok()) return "";
  std::optional<meta::v1::Status> carried = StatusObject(status);
  if (carried.has_value() && !carried->reason().empty()) return carried->reason();
  return std::string(DefaultsForCode(status.code()).reason);
}

absl::Status FromGrpcError(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  const std::string& details = status.error_details();
  if (!details.empty()) {
    meta::v1::Status decoded;
    if (decoded.ParseFromString(details)) out.SetPayload(kStatusPayloadUrl, absl::Cord(details));
  }
  return out;
}

absl::Status FromStatusObject(const meta::v1::Status& status) {
  absl::Status out(CodeFromStatusObject(status), status.message());
  out.SetPayload(kStatusPayloadUrl, absl::Cord(status.SerializeAsString()));
  return out;
}

bool IsNotFound(const absl::Status& status) { return HasReason(status, kReasonNotFound); }
bool IsAlreadyExists(const absl::Status& status) { return HasReason(status, kReasonAlreadyExists); }
bool IsConflict(const absl::Status& status) { return HasReason(status, kReasonConflict); }
bool IsInvalid(const absl::Status& status) { return HasReason(status, kReasonInvalid); }
bool IsBadRequest(const absl::Status& status) { return HasReason(status, kReasonBadRequest); }

bool IsGone(const absl::Status& status) {
  if (status.ok()) return false;
  if (status.code() == absl::StatusCode::kOutOfRange) return true;
  std::string r = Reason(status);
  return r == kReasonGone || r == kReasonExpired;
}

bool IsResourceExpired(const absl::Status& status) { return IsGone(status); }

bool IsUnavailable(const absl::Status& status) {
  if (status.ok()) return false;
  if (status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kDeadlineExceeded) {
    return true;
  }
  std::string r = Reason(status);
  return r == kReasonServiceUnavailable || r == kReasonTimeout;
}

}  // namespace minik8s::api
