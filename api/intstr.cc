#include "api/intstr.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace minik8s::api {

using minik8s::meta::v1::IntOrString;

IntOrString IntOrStringFromInt(int32_t value) {
  IntOrString v;
  v.set_int_val(value);
  return v;
}

IntOrString IntOrStringFromString(std::string_view value) {
  IntOrString v;
  v.set_str_val(std::string(value));
  return v;
}

bool IsString(const IntOrString& v) { return v.value_case() == IntOrString::kStrVal; }

std::string IntOrStringToString(const IntOrString& v) {
  if (IsString(v)) return v.str_val();
  return absl::StrCat(v.int_val());
}

absl::StatusOr<int> GetScaledValueFromIntOrPercent(const IntOrString* v, int total, bool round_up) {
  if (v == nullptr) return absl::InvalidArgumentError("nil value for IntOrString");
  if (!IsString(*v)) return v->int_val();
  const std::string& s = v->str_val();
  if (s.empty() || s.back() != '%') {
    return absl::InvalidArgumentError(
        "invalid value for IntOrString: invalid type: string is not a percentage");
  }
  std::string_view number(s.data(), s.size() - 1);
  int32_t percent = 0;
  // Like Go's strconv.Atoi: optional sign then digits, nothing else.
  bool digits_only = !number.empty();
  for (size_t i = 0; i < number.size(); ++i) {
    char c = number[i];
    if ((c == '+' || c == '-') && i == 0 && number.size() > 1) continue;
    if (c < '0' || c > '9') digits_only = false;
  }
  if (!digits_only || !absl::SimpleAtoi(std::string(number), &percent)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value for IntOrString: invalid value \"", s,
                     "\": strconv.Atoi: parsing \"", std::string(number), "\": invalid syntax"));
  }
  int64_t product = static_cast<int64_t>(percent) * total;
  int64_t quotient = product / 100;
  int64_t remainder = product % 100;
  // Integer floor/ceil of product/100 for either sign.
  if (remainder != 0) {
    if (round_up && product > 0) ++quotient;
    if (!round_up && product < 0) --quotient;
  }
  // A percentage above 100 of a large total exceeds an int: clamp rather
  // than wrap (200% of 2147483647 must not come out negative).
  return static_cast<int>(std::clamp<int64_t>(quotient, std::numeric_limits<int>::min(),
                                              std::numeric_limits<int>::max()));
}

}  // namespace minik8s::api
