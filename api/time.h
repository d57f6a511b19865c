// RFC3339 conversions for the Kubernetes time types.
//
// Time (meta/v1 Time) has second precision and prints as
// `2006-01-02T15:04:05Z`; MicroTime has microsecond precision and prints as
// `2006-01-02T15:04:05.000000Z`. Both always print in UTC. Parsing accepts
// any RFC3339 timestamp (optional fractional seconds, `Z` or a numeric
// offset) and truncates to the type's precision.
//
// Thread safety: all functions are pure.
#ifndef MINIK8S_API_TIME_H_
#define MINIK8S_API_TIME_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::api {

std::string FormatRfc3339(absl::Time t);       // second precision, UTC
std::string FormatRfc3339Micro(absl::Time t);  // microsecond precision, UTC

// Parses an RFC3339 timestamp. Error: `parsing time "x" as RFC3339: ...`.
absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text);

// Truncating conversions (toward the past) to the proto types.
minik8s::meta::v1::Time ToProtoTime(absl::Time t);
minik8s::meta::v1::MicroTime ToProtoMicroTime(absl::Time t);
absl::Time FromProtoTime(const minik8s::meta::v1::Time& t);
absl::Time FromProtoMicroTime(const minik8s::meta::v1::MicroTime& t);

// The current time in each precision.
minik8s::meta::v1::Time NowTime();
minik8s::meta::v1::MicroTime NowMicroTime();

}  // namespace minik8s::api

#endif  // MINIK8S_API_TIME_H_
