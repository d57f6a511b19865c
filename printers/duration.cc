#include "printers/duration.h"

#include <cstdint>

#include "absl/strings/str_format.h"
#include "api/time.h"

namespace minik8s::printers {

std::string HumanDuration(absl::Duration d) {
  if (d < -absl::Seconds(1)) return "<invalid>";
  if (d < absl::ZeroDuration()) return "0s";
  const int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds < 60 * 2) return absl::StrFormat("%ds", seconds);
  const int64_t minutes = seconds / 60;
  if (minutes < 10) {
    const int64_t s = seconds % 60;
    if (s == 0) return absl::StrFormat("%dm", minutes);
    return absl::StrFormat("%dm%ds", minutes, s);
  }
  if (minutes < 60 * 3) return absl::StrFormat("%dm", minutes);
  const int64_t hours = minutes / 60;
  if (hours < 8) {
    const int64_t m = minutes % 60;
    if (m == 0) return absl::StrFormat("%dh", hours);
    return absl::StrFormat("%dh%dm", hours, m);
  }
  if (hours < 48) return absl::StrFormat("%dh", hours);
  const int64_t days = hours / 24;
  if (hours < 24 * 8) {
    const int64_t h = hours % 24;
    if (h == 0) return absl::StrFormat("%dd", days);
    return absl::StrFormat("%dd%dh", days, h);
  }
  if (hours < 24 * 365 * 2) return absl::StrFormat("%dd", days);
  const int64_t years = days / 365;
  if (hours < 24 * 365 * 8) {
    const int64_t dy = days % 365;
    if (dy == 0) return absl::StrFormat("%dy", years);
    return absl::StrFormat("%dy%dd", years, dy);
  }
  return absl::StrFormat("%dy", years);
}

bool IsZero(const minik8s::meta::v1::Time& t) { return t.seconds() == 0 && t.nanos() == 0; }
bool IsZero(const minik8s::meta::v1::MicroTime& t) { return t.seconds() == 0 && t.nanos() == 0; }

std::string TimestampSince(const minik8s::meta::v1::Time& t, absl::Time now) {
  if (IsZero(t)) return "<unknown>";
  return HumanDuration(now - api::FromProtoTime(t));
}

std::string MicroTimestampSince(const minik8s::meta::v1::MicroTime& t, absl::Time now) {
  if (IsZero(t)) return "<unknown>";
  return HumanDuration(now - api::FromProtoMicroTime(t));
}

}  // namespace minik8s::printers
