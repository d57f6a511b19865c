// Kubernetes API errors as absl::Status. Each error carries, besides its
// canonical code and Kubernetes' message text, a serialized
// minik8s.meta.v1.Status (reason, details, causes) as the payload under
// kStatusPayloadUrl; the gRPC edge puts it in the binary error details.
//
// Code mapping (the same as proto/apiserver/v1/apiserver.proto documents):
//   NotFound → kNotFound, AlreadyExists → kAlreadyExists, Conflict →
//   kAborted, Invalid/BadRequest → kInvalidArgument, Gone/Expired →
//   kOutOfRange, ServiceUnavailable → kUnavailable, Timeout →
//   kDeadlineExceeded, Forbidden → kFailedPrecondition, MethodNotAllowed →
//   kUnimplemented, InternalError → kInternal.
//
// Thread safety: pure functions.
#ifndef MINIK8S_APISERVER_ERRORS_H_
#define MINIK8S_APISERVER_ERRORS_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "api/scheme.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::apiserver {

inline constexpr char kStatusPayloadUrl[] = "type.googleapis.com/minik8s.meta.v1.Status";

// The meta.v1.Status for `status`: its payload when present, else one built
// from the code and message (reason InternalError for unknown codes, or
// ServiceUnavailable, NotFound, ... from the code).
meta::v1::Status ToApiStatus(const absl::Status& status);

// The Kubernetes reason of `status` ("NotFound", "Conflict", ...; "" for OK).
std::string Reason(const absl::Status& status);

absl::Status NewApiError(absl::StatusCode code, absl::string_view reason, int http_code,
                         absl::string_view message, const meta::v1::StatusDetails& details);

// `pods "x" not found` / `deployments.apps "x" not found`.
absl::Status NewNotFound(const api::KindInfo& kind, absl::string_view name);
// `pods "x" already exists`.
absl::Status NewAlreadyExists(const api::KindInfo& kind, absl::string_view name);
// `Operation cannot be fulfilled on deployments.apps "x": <detail>`.
absl::Status NewConflict(const api::KindInfo& kind, absl::string_view name,
                         absl::string_view detail);
// The standard stale-resourceVersion conflict.
absl::Status NewStaleConflict(const api::KindInfo& kind, absl::string_view name);
// `Deployment.apps "x" is invalid: [a, b]` with one cause per field error.
absl::Status NewInvalid(const api::KindInfo& kind, absl::string_view name,
                        absl::string_view message, const std::vector<meta::v1::StatusCause>& causes);
absl::Status NewBadRequest(absl::string_view message);
// Reason Expired (HTTP 410): too old resource version, expired continue.
absl::Status NewGone(absl::string_view message);
// `<resource> "x" is forbidden: <detail>`.
absl::Status NewForbidden(const api::KindInfo& kind, absl::string_view name,
                          absl::string_view detail);
absl::Status NewTimeout(absl::string_view message);
absl::Status NewMethodNotSupported(const api::KindInfo& kind, absl::string_view action);
absl::Status NewInternalError(absl::string_view message);
// Storage errors (kUnavailable from the store) keep their message; any
// other status without a payload becomes an InternalError.
absl::Status NewServiceUnavailable(absl::string_view message);

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_ERRORS_H_
