// Kubernetes API errors as absl::Status: the one error library that the
// apiserver (which builds them) and every client (which tests them) share,
// as Kubernetes' k8s.io/apimachinery/pkg/api/errors is.
//
// An API error is an absl::Status whose code follows the Kubernetes reason
// and whose payload, under kStatusPayloadUrl, is a serialized
// minik8s.meta.v1.Status (reason, HTTP code, details, causes). The gRPC edge
// carries that Status in the binary error details (see
// proto/apiserver/v1/apiserver.proto); the HTTP edge writes it as the body.
//
// Code mapping (both directions):
//   NotFound → kNotFound, AlreadyExists → kAlreadyExists, Conflict →
//   kAborted, Invalid/BadRequest → kInvalidArgument, Gone/Expired →
//   kOutOfRange, ServiceUnavailable → kUnavailable, Timeout →
//   kDeadlineExceeded, Forbidden → kFailedPrecondition, MethodNotAllowed →
//   kUnimplemented, TooManyRequests → kResourceExhausted, InternalError →
//   kInternal (and any other code).
// A status without the payload (a local or transport error) reads as the
// reason the server would have given it: the table above, right to left,
// with kInvalidArgument → BadRequest.
//
// Naming: absl also declares IsNotFound/IsAlreadyExists/IsUnavailable for
// absl::Status and argument-dependent lookup finds both, so call the
// predicates qualified: `api::IsNotFound(s)`.
//
// Thread safety: pure functions.
#ifndef MINIK8S_API_ERRORS_H_
#define MINIK8S_API_ERRORS_H_

#include <grpcpp/support/status.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "api/scheme.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::api {

// Payload type URL under which the meta.v1.Status travels inside a process.
inline constexpr absl::string_view kStatusPayloadUrl = "type.googleapis.com/minik8s.meta.v1.Status";

// Kubernetes reasons (metav1.StatusReason).
inline constexpr absl::string_view kReasonNotFound = "NotFound";
inline constexpr absl::string_view kReasonAlreadyExists = "AlreadyExists";
inline constexpr absl::string_view kReasonConflict = "Conflict";
inline constexpr absl::string_view kReasonInvalid = "Invalid";
inline constexpr absl::string_view kReasonBadRequest = "BadRequest";
inline constexpr absl::string_view kReasonGone = "Gone";
inline constexpr absl::string_view kReasonExpired = "Expired";
inline constexpr absl::string_view kReasonServiceUnavailable = "ServiceUnavailable";
inline constexpr absl::string_view kReasonTimeout = "Timeout";
inline constexpr absl::string_view kReasonForbidden = "Forbidden";
inline constexpr absl::string_view kReasonMethodNotAllowed = "MethodNotAllowed";
inline constexpr absl::string_view kReasonTooManyRequests = "TooManyRequests";
inline constexpr absl::string_view kReasonInternalError = "InternalError";

// ---- Building errors (as the apiserver sends them) ----

absl::Status NewApiError(absl::StatusCode code, absl::string_view reason, int http_code,
                         absl::string_view message, const meta::v1::StatusDetails& details = {});

// `pods "x" not found` / `deployments.apps "x" not found`. The second form
// takes the group-resource string itself ("leases.coordination.k8s.io").
absl::Status NewNotFound(const KindInfo& kind, absl::string_view name);
absl::Status NewNotFound(absl::string_view group_resource, absl::string_view name);
// `pods "x" already exists`.
absl::Status NewAlreadyExists(const KindInfo& kind, absl::string_view name);
absl::Status NewAlreadyExists(absl::string_view group_resource, absl::string_view name);
// `Operation cannot be fulfilled on deployments.apps "x": <detail>`.
absl::Status NewConflict(const KindInfo& kind, absl::string_view name, absl::string_view detail);
absl::Status NewConflict(absl::string_view group_resource, absl::string_view name,
                         absl::string_view detail);
// The standard stale-resourceVersion conflict.
absl::Status NewStaleConflict(const KindInfo& kind, absl::string_view name);
// `Deployment.apps "x" is invalid: [a, b]` with one cause per field error.
absl::Status NewInvalid(const KindInfo& kind, absl::string_view name, absl::string_view message,
                        const std::vector<meta::v1::StatusCause>& causes);
// Reason Invalid (422) with a ready message and no details.
absl::Status NewInvalid(absl::string_view message);
absl::Status NewBadRequest(absl::string_view message);
// Reason Expired (HTTP 410): too old resource version, expired continue.
absl::Status NewGone(absl::string_view message);
absl::Status NewResourceExpired(absl::string_view message);  // same as NewGone
// `<resource> "x" is forbidden: <detail>`.
absl::Status NewForbidden(const KindInfo& kind, absl::string_view name, absl::string_view detail);
absl::Status NewTimeout(absl::string_view message);
absl::Status NewMethodNotSupported(const KindInfo& kind, absl::string_view action);
// `Internal error occurred: <message>`.
absl::Status NewInternalError(absl::string_view message);
absl::Status NewServiceUnavailable(absl::string_view message);

// ---- Reading errors ----

// The meta.v1.Status carried by `status`, if any.
std::optional<meta::v1::Status> StatusObject(const absl::Status& status);

// The meta.v1.Status to answer with: the payload when present, else one
// built from the code and message (reason and HTTP code from the table at
// the top; Success/200 for OK).
meta::v1::Status ToApiStatus(const absl::Status& status);

// The Kubernetes reason ("NotFound", "Conflict", ...; "" for OK).
std::string Reason(const absl::Status& status);

// grpc::Status from the apiserver → absl::Status with the meta.v1.Status
// payload (when the error details hold one).
absl::Status FromGrpcError(const grpc::Status& status);

// A meta.v1.Status (a watch ERROR event, an HTTP error body) → absl::Status;
// the code comes from the reason, else from the HTTP code.
absl::Status FromStatusObject(const meta::v1::Status& status);

bool IsNotFound(const absl::Status& status);
bool IsAlreadyExists(const absl::Status& status);
bool IsConflict(const absl::Status& status);
bool IsInvalid(const absl::Status& status);  // Invalid (field errors)
bool IsBadRequest(const absl::Status& status);
// "too old resource version": the list/watch must restart from a fresh list.
// True for reason Gone or Expired, or code OUT_OF_RANGE.
bool IsGone(const absl::Status& status);
bool IsResourceExpired(const absl::Status& status);  // same as IsGone
// The server could not be reached or asked us to retry (UNAVAILABLE,
// DEADLINE_EXCEEDED, reason ServiceUnavailable/Timeout).
bool IsUnavailable(const absl::Status& status);

}  // namespace minik8s::api

#endif  // MINIK8S_API_ERRORS_H_
