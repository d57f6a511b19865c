// Ages and durations as kubectl prints them (apimachinery's HumanDuration):
// two significant units at most, coarser as the duration grows — `45s`,
// `3m2s`, `15m`, `5h`, `7h3m`, `2d`, `3d4h`, `400d`, `2y`, `3y10d`, `9y`.
//
// Thread safety: pure functions.
#ifndef MINIK8S_PRINTERS_DURATION_H_
#define MINIK8S_PRINTERS_DURATION_H_

#include <string>

#include "absl/time/time.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::printers {

// `<invalid>` below -1s, `0s` for small negative durations (clock skew).
std::string HumanDuration(absl::Duration d);

// Age of a timestamp at `now`; `<unknown>` when the timestamp is unset.
std::string TimestampSince(const minik8s::meta::v1::Time& t, absl::Time now);
std::string MicroTimestampSince(const minik8s::meta::v1::MicroTime& t, absl::Time now);

bool IsZero(const minik8s::meta::v1::Time& t);
bool IsZero(const minik8s::meta::v1::MicroTime& t);

}  // namespace minik8s::printers

#endif  // MINIK8S_PRINTERS_DURATION_H_
