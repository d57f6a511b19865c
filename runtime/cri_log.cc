#include "runtime/cri_log.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace minik8s::runtime {

namespace {
constexpr char kFormat[] = "%Y-%m-%dT%H:%M:%E9SZ";
}

std::string FormatCriLogLine(const cri::LogEntry& entry) {
  return absl::StrCat(
      absl::FormatTime(kFormat, absl::FromUnixNanos(entry.timestamp()), absl::UTCTimeZone()), " ",
      entry.stream(), " F ", entry.text(), "\n");
}

absl::StatusOr<cri::LogEntry> ParseCriLogLine(absl::string_view line) {
  absl::ConsumeSuffix(&line, "\n");
  std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(' ', 3));
  if (parts.size() < 3 || (parts[1] != "stdout" && parts[1] != "stderr") ||
      (parts[2] != "F" && parts[2] != "P")) {
    return absl::InvalidArgumentError(absl::StrCat("not a CRI log line: \"", line, "\""));
  }
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(parts[0]), &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat("bad timestamp in CRI log line: ", err));
  }
  cri::LogEntry e;
  e.set_timestamp(absl::ToUnixNanos(t));
  e.set_stream(std::string(parts[1]));
  e.set_text(parts.size() > 3 ? std::string(parts[3]) : "");
  return e;
}

}  // namespace minik8s::runtime
