#include "client/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace minik8s::client {
namespace {

using minik8s::meta::v1::Status;

std::string ReasonFromCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kNotFound:
      return std::string(kReasonNotFound);
    case absl::StatusCode::kAlreadyExists:
      return std::string(kReasonAlreadyExists);
    case absl::StatusCode::kAborted:
      return std::string(kReasonConflict);
    case absl::StatusCode::kInvalidArgument:
      return std::string(kReasonInvalid);
    case absl::StatusCode::kOutOfRange:
      return std::string(kReasonExpired);
    case absl::StatusCode::kUnavailable:
      return std::string(kReasonServiceUnavailable);
    case absl::StatusCode::kDeadlineExceeded:
      return std::string(kReasonTimeout);
    case absl::StatusCode::kFailedPrecondition:
      return std::string(kReasonForbidden);
    default:
      return "";
  }
}

absl::StatusCode CodeFromStatusObject(const Status& s) {
  const std::string& r = s.reason();
  if (r == kReasonNotFound) return absl::StatusCode::kNotFound;
  if (r == kReasonAlreadyExists) return absl::StatusCode::kAlreadyExists;
  if (r == kReasonConflict) return absl::StatusCode::kAborted;
  if (r == kReasonInvalid || r == kReasonBadRequest) return absl::StatusCode::kInvalidArgument;
  if (r == kReasonGone || r == kReasonExpired) return absl::StatusCode::kOutOfRange;
  if (r == kReasonServiceUnavailable) return absl::StatusCode::kUnavailable;
  if (r == kReasonTimeout) return absl::StatusCode::kDeadlineExceeded;
  if (r == kReasonForbidden) return absl::StatusCode::kFailedPrecondition;
  switch (s.code()) {
    case 400:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 403:
      return absl::StatusCode::kFailedPrecondition;
    case 404:
      return absl::StatusCode::kNotFound;
    case 409:
      return absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return absl::StatusCode::kUnknown;
  }
}

bool HasReason(const absl::Status& status, absl::string_view reason) {
  return !status.ok() && Reason(status) == reason;
}

}  // namespace

absl::Status FromGrpcError(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  const std::string& details = status.error_details();
  if (!details.empty()) {
    Status decoded;
    if (decoded.ParseFromString(details)) {
      out.SetPayload(kStatusPayloadUrl, absl::Cord(details));
    }
  }
  return out;
}

absl::Status FromStatusObject(const Status& s) {
  absl::Status out(CodeFromStatusObject(s), s.message());
  out.SetPayload(kStatusPayloadUrl, absl::Cord(s.SerializeAsString()));
  return out;
}

std::optional<Status> StatusObject(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto payload = status.GetPayload(kStatusPayloadUrl);
  if (!payload) return std::nullopt;
  Status decoded;
  if (!decoded.ParseFromString(std::string(*payload))) return std::nullopt;
  return decoded;
}

std::string Reason(const absl::Status& status) {
  if (status.ok()) return "";
  std::optional<Status> s = StatusObject(status);
  if (s && !s->reason().empty()) return s->reason();
  return ReasonFromCode(status.code());
}

bool IsNotFound(const absl::Status& status) { return HasReason(status, kReasonNotFound); }
bool IsAlreadyExists(const absl::Status& status) {
  return HasReason(status, kReasonAlreadyExists);
}
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

absl::Status NewApiError(absl::StatusCode code, absl::string_view reason, int http_code,
                         absl::string_view message) {
  Status s;
  s.set_api_version("v1");
  s.set_kind("Status");
  s.set_status("Failure");
  s.set_reason(std::string(reason));
  s.set_code(http_code);
  s.set_message(std::string(message));
  absl::Status out(code, message);
  out.SetPayload(kStatusPayloadUrl, absl::Cord(s.SerializeAsString()));
  return out;
}

absl::Status NewNotFound(absl::string_view group_resource, absl::string_view name) {
  return NewApiError(absl::StatusCode::kNotFound, kReasonNotFound, 404,
                     absl::StrCat(group_resource, " \"", name, "\" not found"));
}

absl::Status NewAlreadyExists(absl::string_view group_resource, absl::string_view name) {
  return NewApiError(absl::StatusCode::kAlreadyExists, kReasonAlreadyExists, 409,
                     absl::StrCat(group_resource, " \"", name, "\" already exists"));
}

absl::Status NewConflict(absl::string_view group_resource, absl::string_view name,
                         absl::string_view why) {
  return NewApiError(absl::StatusCode::kAborted, kReasonConflict, 409,
                     absl::StrCat("Operation cannot be fulfilled on ", group_resource, " \"",
                                  name, "\": ", why));
}

absl::Status NewResourceExpired(absl::string_view message) {
  return NewApiError(absl::StatusCode::kOutOfRange, kReasonExpired, 410, message);
}

absl::Status NewInvalid(absl::string_view message) {
  return NewApiError(absl::StatusCode::kInvalidArgument, kReasonInvalid, 422, message);
}

}  // namespace minik8s::client
