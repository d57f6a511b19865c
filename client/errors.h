// Kubernetes API errors as absl::Status.
//
// The apiserver answers errors with a gRPC code that follows the Kubernetes
// reason and a serialized minik8s.meta.v1.Status in the binary error details
// (see proto/apiserver/v1/apiserver.proto). FromGrpcError keeps both: the
// code and message become the absl::Status, the meta.v1.Status travels as a
// payload under kStatusPayloadUrl. The predicates below look at the reason
// when the payload is there and fall back to the code otherwise, so they
// also work for errors built locally (fakes, NewNotFound, ...).
//
// Naming: absl also declares IsNotFound/IsAlreadyExists/IsUnavailable for
// absl::Status, and argument-dependent lookup finds both, so call these
// qualified: `client::IsNotFound(s)` (they agree on the code, and these also
// look at the Kubernetes reason).
//
// Thread safety: all functions are pure.
#ifndef MINIK8S_CLIENT_ERRORS_H_
#define MINIK8S_CLIENT_ERRORS_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::client {

// Payload type URL under which the decoded meta.v1.Status is attached.
inline constexpr absl::string_view kStatusPayloadUrl = "type.minik8s.io/minik8s.meta.v1.Status";

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

// grpc::Status from the apiserver → absl::Status with the meta.v1.Status
// payload (when the details hold one).
absl::Status FromGrpcError(const grpc::Status& status);

// A meta.v1.Status (e.g. from a watch ERROR event) → absl::Status. The code
// comes from the HTTP code and reason (410/Expired/Gone → OUT_OF_RANGE, 404 →
// NOT_FOUND, 409 → ABORTED or ALREADY_EXISTS, ...).
absl::Status FromStatusObject(const minik8s::meta::v1::Status& status);

// The meta.v1.Status carried by `status`, if any.
std::optional<minik8s::meta::v1::Status> StatusObject(const absl::Status& status);

// The Kubernetes reason: from the payload, else derived from the code
// ("" for OK and for codes with no Kubernetes equivalent).
std::string Reason(const absl::Status& status);

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

// Errors as the apiserver would send them (for fakes and tests), carrying a
// meta.v1.Status payload. `group_resource` is e.g. "pods" or "leases.coordination.k8s.io".
absl::Status NewNotFound(absl::string_view group_resource, absl::string_view name);
absl::Status NewAlreadyExists(absl::string_view group_resource, absl::string_view name);
absl::Status NewConflict(absl::string_view group_resource, absl::string_view name,
                         absl::string_view why);
absl::Status NewResourceExpired(absl::string_view message);
absl::Status NewInvalid(absl::string_view message);
// Builds an absl::Status with the given code from a reason, HTTP code and message.
absl::Status NewApiError(absl::StatusCode code, absl::string_view reason, int http_code,
                         absl::string_view message);

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_ERRORS_H_
