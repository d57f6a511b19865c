#include "common/duration.h"

#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace minik8s {
namespace {

absl::Status Invalid(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid duration \"", text, "\": ", why,
                   " (use Go's syntax with a unit, e.g. 500ms, 10s, 1m30s, 2h)"));
}

// Nanoseconds per unit, 0 for an unknown unit.
int64_t UnitNanos(absl::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1000;  // µs, μs
  if (unit == "ms") return 1000 * 1000;
  if (unit == "s") return int64_t{1000} * 1000 * 1000;
  if (unit == "m") return int64_t{60} * 1000 * 1000 * 1000;
  if (unit == "h") return int64_t{3600} * 1000 * 1000 * 1000;
  return 0;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view text) {
  absl::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return Invalid(text, "empty");
  // Accumulated in unsigned 64 bits: up to 2^63 for a negative duration.
  constexpr uint64_t kMax = uint64_t{1} << 63;
  uint64_t total = 0;
  while (!s.empty()) {
    if (!IsDigit(s[0]) && s[0] != '.') return Invalid(text, "expected a number");
    // Integer part.
    uint64_t whole = 0;
    size_t i = 0;
    bool overflow = false;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      if (whole > (kMax - (s[i] - '0')) / 10) overflow = true;
      if (!overflow) whole = whole * 10 + (s[i] - '0');
    }
    if (overflow) return Invalid(text, "out of range");
    const bool had_whole = i > 0;
    s.remove_prefix(i);
    // Fraction: digits past what 64 bits hold are dropped, as Go does.
    uint64_t frac = 0;
    double scale = 1;
    bool had_frac = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      i = 0;
      for (; i < s.size() && IsDigit(s[i]); ++i) {
        if (frac <= (std::numeric_limits<uint64_t>::max() / 10 - 9) && scale < 1e18) {
          frac = frac * 10 + (s[i] - '0');
          scale *= 10;
        }
      }
      had_frac = i > 0;
      s.remove_prefix(i);
    }
    if (!had_whole && !had_frac) return Invalid(text, "expected digits");
    i = 0;
    while (i < s.size() && !IsDigit(s[i]) && s[i] != '.') ++i;
    if (i == 0) return Invalid(text, "missing unit");
    const absl::string_view unit = s.substr(0, i);
    s.remove_prefix(i);
    const int64_t per_unit = UnitNanos(unit);
    if (per_unit == 0) return Invalid(text, absl::StrCat("unknown unit \"", unit, "\""));
    const uint64_t unit_ns = static_cast<uint64_t>(per_unit);
    if (whole > kMax / unit_ns) return Invalid(text, "out of range");
    uint64_t value = whole * unit_ns;
    if (frac > 0) {
      const double extra = static_cast<double>(frac) * (static_cast<double>(unit_ns) / scale);
      if (extra >= static_cast<double>(kMax)) return Invalid(text, "out of range");
      value += static_cast<uint64_t>(extra);
      if (value > kMax) return Invalid(text, "out of range");
    }
    if (value > kMax - total) return Invalid(text, "out of range");
    total += value;
  }
  if (negative) {
    if (total == kMax) return absl::Nanoseconds(std::numeric_limits<int64_t>::min());
    return -absl::Nanoseconds(static_cast<int64_t>(total));
  }
  if (total == kMax) return Invalid(text, "out of range");
  return absl::Nanoseconds(static_cast<int64_t>(total));
}

std::string FormatGoDuration(absl::Duration d) {
  if (d < absl::ZeroDuration()) {
    std::string positive = FormatGoDuration(-d);
    return positive == "0s" ? positive : absl::StrCat("-", positive);
  }
  int64_t ms = absl::ToInt64Milliseconds(d + absl::Microseconds(500));
  if (ms <= 0) return "0s";
  if (ms < 1000) return absl::StrCat(ms, "ms");
  int64_t h = ms / 3600000;
  int64_t m = (ms / 60000) % 60;
  int64_t s_ms = ms % 60000;
  std::string secs = absl::StrCat(s_ms / 1000);
  if (s_ms % 1000 != 0) {
    std::string frac = absl::StrFormat("%03d", static_cast<int>(s_ms % 1000));
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    absl::StrAppend(&secs, ".", frac);
  }
  if (h > 0) return absl::StrCat(h, "h", m, "m", secs, "s");
  if (m > 0) return absl::StrCat(m, "m", secs, "s");
  return absl::StrCat(secs, "s");
}

}  // namespace minik8s
