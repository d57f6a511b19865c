#include "api/time.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace minik8s::api {
namespace {

constexpr char kRfc3339In[] = "%Y-%m-%d%ET%H:%M:%E*S%Ez";

// Splits t into whole seconds since the epoch (floored) and the remaining
// nanoseconds.
void Split(absl::Time t, int64_t* seconds, int32_t* nanos) {
  absl::Duration since = t - absl::UnixEpoch();
  absl::Duration rem;
  *seconds = absl::IDivDuration(since, absl::Seconds(1), &rem);
  if (rem < absl::ZeroDuration()) {
    *seconds -= 1;
    rem += absl::Seconds(1);
  }
  *nanos = static_cast<int32_t>(absl::ToInt64Nanoseconds(rem));
}

absl::Time Join(int64_t seconds, int32_t nanos) {
  if (nanos < 0 || nanos > 999999999) nanos = 0;
  return absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
}

}  // namespace

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%E4Y-%m-%d%ET%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string FormatRfc3339Micro(absl::Time t) {
  return absl::FormatTime("%E4Y-%m-%d%ET%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text) {
  absl::Time t;
  std::string err;
  // absl's %Ez takes a numeric offset; RFC3339 also allows `Z`/`z`.
  std::string input(text);
  if (!input.empty() && (input.back() == 'Z' || input.back() == 'z')) {
    input.back() = '+';
    input += "00:00";
  }
  if (input.size() < 20 || input[4] != '-' || input[7] != '-' ||
      !absl::ParseTime(kRfc3339In, input, absl::UTCTimeZone(), &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("parsing time \"", std::string(text),
                     "\" as RFC3339: not of the form 2006-01-02T15:04:05Z07:00"));
  }
  return t;
}

minik8s::meta::v1::Time ToProtoTime(absl::Time t) {
  minik8s::meta::v1::Time out;
  int64_t seconds;
  int32_t nanos;
  Split(t, &seconds, &nanos);
  out.set_seconds(seconds);
  return out;
}

minik8s::meta::v1::MicroTime ToProtoMicroTime(absl::Time t) {
  minik8s::meta::v1::MicroTime out;
  int64_t seconds;
  int32_t nanos;
  Split(t, &seconds, &nanos);
  out.set_seconds(seconds);
  out.set_nanos(nanos / 1000 * 1000);
  return out;
}

absl::Time FromProtoTime(const minik8s::meta::v1::Time& t) { return Join(t.seconds(), t.nanos()); }

absl::Time FromProtoMicroTime(const minik8s::meta::v1::MicroTime& t) {
  return Join(t.seconds(), t.nanos());
}

minik8s::meta::v1::Time NowTime() { return ToProtoTime(absl::Now()); }

minik8s::meta::v1::MicroTime NowMicroTime() { return ToProtoMicroTime(absl::Now()); }

}  // namespace minik8s::api
