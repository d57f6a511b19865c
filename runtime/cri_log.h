// The CRI container log file format, one line per entry:
//   2006-01-02T15:04:05.000000000Z stdout F text
// (RFC 3339 timestamp with nanoseconds in UTC, stream, tag "F" for a full
// line, the text). Pure functions; thread-safe.
#ifndef MINIK8S_RUNTIME_CRI_LOG_H_
#define MINIK8S_RUNTIME_CRI_LOG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cri/v1/api.pb.h"

namespace minik8s::runtime {

namespace cri = ::minik8s::cri::v1;

// The file line for `entry`, ending in '\n'.
std::string FormatCriLogLine(const cri::LogEntry& entry);

// Parses one line (with or without the trailing newline).
absl::StatusOr<cri::LogEntry> ParseCriLogLine(absl::string_view line);

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_CRI_LOG_H_
