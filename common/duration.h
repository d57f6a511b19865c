// Durations in Go's syntax, the one every minik8s flag uses (as Kubernetes'
// flags, which are Go time.Duration values): a sequence of decimal numbers,
// each with an optional fraction and a unit, with an optional sign —
// "300ms", "1.5s", "1m30s", "2h45m", "-1.5h". Units: ns, us (µs, μs), ms,
// s, m, h. "0" is the one number allowed without a unit; any other bare
// number ("10") is refused, so a flag never guesses whether it meant
// seconds.
//
// Pure functions, safe from any thread.
#ifndef MINIK8S_COMMON_DURATION_H_
#define MINIK8S_COMMON_DURATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace minik8s {

// Parses `text` as Go's time.ParseDuration does (same grammar, same range:
// at most about 292 years either way). InvalidArgument, naming the text and
// what is wrong, otherwise.
absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view text);

// `d` written the way Go's time.Duration prints it, rounded to the
// millisecond: "0s", "500ms", "1.2s", "10s", "1m20s", "5m0s", "1h0m0s"
// ("-" in front of a negative one). ParseGoDuration reads it back.
std::string FormatGoDuration(absl::Duration d);

}  // namespace minik8s

#endif  // MINIK8S_COMMON_DURATION_H_
