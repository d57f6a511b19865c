// Duration flags for CLI11: every minik8s daemon reads its durations in
// Go's syntax (common/duration.h), so `--relist-period=200ms` means the same
// in every binary and a bare `10` is refused with a message that says why.
//
//   absl::Duration period = absl::Seconds(5);
//   AddDurationFlag(app, "--period", &period, "How often ...",
//                   DurationBound::kPositive);
//
// The default shown by --help is `*out` as Go prints it. A bad value is a
// CLI::ValidationError, which CLI11's parse turns into a usage error.
#ifndef MINIK8S_COMMON_DURATION_FLAG_H_
#define MINIK8S_COMMON_DURATION_FLAG_H_

#include <string>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"

namespace minik8s {

enum class DurationBound {
  kAny,          // negative durations too
  kNonNegative,  // 0 allowed (often "off")
  kPositive,
};

// Adds `name` (CLI11 names, e.g. "--period,-p") writing to `out` (which
// holds the default and must outlive the parse).
CLI::Option* AddDurationFlag(CLI::App& app, const std::string& name, absl::Duration* out,
                             const std::string& help,
                             DurationBound bound = DurationBound::kNonNegative);

}  // namespace minik8s

#endif  // MINIK8S_COMMON_DURATION_FLAG_H_
