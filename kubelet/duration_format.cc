#include "kubelet/duration_format.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace minik8s::kubelet {

std::string FormatGoDuration(absl::Duration d) {
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

}  // namespace minik8s::kubelet
