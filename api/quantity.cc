#include "api/quantity.h"

#include <cstdio>
#include <cstdlib>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace minik8s::api {
namespace {

using int128 = __int128;

constexpr char kQuantityRegexError[] =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

constexpr int128 kNanosPerUnit = 1000000000;
// Largest magnitude accepted (in nanos); leaves headroom for addition.
constexpr int128 kMaxNanos = static_cast<int128>(1) << 126;

absl::Status FormatError() { return absl::InvalidArgumentError(kQuantityRegexError); }
absl::Status TooLarge(std::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("quantity \"", std::string(text), "\" is too large"));
}

// Multiplies *v by m if the result stays within kMaxNanos.
bool CheckedMul(int128* v, int128 m) {
  if (*v != 0 && m != 0 && (*v > kMaxNanos / m)) return false;
  *v *= m;
  return true;
}

int128 Pow10(int n) {
  int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

std::string Int128ToString(int128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  unsigned __int128 u = neg ? -static_cast<unsigned __int128>(v) : v;
  std::string digits;
  while (u > 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (neg) digits.push_back('-');
  return std::string(digits.rbegin(), digits.rend());
}

// Divides a non-negative value by d, rounding up; sets *inexact.
int128 DivRoundUp(int128 v, int128 d, bool* inexact) {
  int128 q = v / d;
  if (v % d != 0) {
    *inexact = true;
    ++q;
  }
  return q;
}

int64_t Saturate(int128 v) {
  if (v > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (v < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

// nanos / 10^(9 - scale_digits) rounded away from zero.
int64_t ScaledRoundUp(int128 nanos, int128 divisor) {
  bool neg = nanos < 0;
  int128 mag = neg ? -nanos : nanos;
  bool inexact = false;
  int128 q = DivRoundUp(mag, divisor, &inexact);
  return Saturate(neg ? -q : q);
}

}  // namespace

absl::StatusOr<Quantity> Quantity::Parse(std::string_view text) {
  if (text.empty()) return FormatError();
  size_t pos = 0;
  bool negative = false;
  if (text[pos] == '+' || text[pos] == '-') {
    negative = text[pos] == '-';
    ++pos;
  }
  // Mantissa digits: integer part, optional '.', fraction part.
  int128 mantissa = 0;
  int fraction_digits = 0;
  bool sticky = false;  // non-zero fraction digits dropped beyond our precision
  int digits = 0;
  bool seen_point = false;
  constexpr int kMaxFractionDigits = 30;
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == '.') {
      if (seen_point) return FormatError();
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    ++digits;
    int d = c - '0';
    if (seen_point) {
      if (fraction_digits >= kMaxFractionDigits) {
        if (d != 0) sticky = true;
        continue;
      }
      ++fraction_digits;
    }
    if (!CheckedMul(&mantissa, 10)) return TooLarge(text);
    mantissa += d;
  }
  if (digits == 0) return FormatError();

  // Suffix.
  std::string_view suffix = text.substr(pos);
  int decimal_exponent = 0;
  int binary_power = 0;  // multiples of 2^10
  Format format = Format::kDecimalSI;
  if (suffix.empty()) {
  } else if (suffix.size() == 2 && suffix[1] == 'i') {
    static constexpr std::string_view kBinary = "KMGTPE";
    size_t i = kBinary.find(suffix[0]);
    if (i == std::string_view::npos) return FormatError();
    binary_power = static_cast<int>(i) + 1;
    format = Format::kBinarySI;
  } else if (suffix.size() == 1) {
    switch (suffix[0]) {
      case 'n':
        decimal_exponent = -9;
        break;
      case 'u':
        decimal_exponent = -6;
        break;
      case 'm':
        decimal_exponent = -3;
        break;
      case 'k':
        decimal_exponent = 3;
        break;
      case 'M':
        decimal_exponent = 6;
        break;
      case 'G':
        decimal_exponent = 9;
        break;
      case 'T':
        decimal_exponent = 12;
        break;
      case 'P':
        decimal_exponent = 15;
        break;
      case 'E':
        decimal_exponent = 18;
        break;
      default:
        return FormatError();
    }
  } else if (suffix[0] == 'e' || suffix[0] == 'E') {
    size_t i = 1;
    bool exp_negative = false;
    if (i < suffix.size() && (suffix[i] == '+' || suffix[i] == '-')) {
      exp_negative = suffix[i] == '-';
      ++i;
    }
    if (i >= suffix.size()) return FormatError();
    int exp = 0;
    for (; i < suffix.size(); ++i) {
      if (suffix[i] < '0' || suffix[i] > '9') return FormatError();
      exp = exp * 10 + (suffix[i] - '0');
      if (exp > 1000) return TooLarge(text);
    }
    decimal_exponent = exp_negative ? -exp : exp;
    format = Format::kDecimalExponent;
  } else {
    return FormatError();
  }

  // value = mantissa * 10^(decimal_exponent - fraction_digits) * 2^(10*binary_power)
  // nanos = value * 10^9, rounded up away from zero.
  int128 nanos = mantissa;
  for (int i = 0; i < binary_power; ++i) {
    if (!CheckedMul(&nanos, 1024)) return TooLarge(text);
  }
  int shift = 9 + decimal_exponent - fraction_digits;
  bool inexact = false;
  if (shift >= 0) {
    for (int i = 0; i < shift && nanos != 0; ++i) {
      if (!CheckedMul(&nanos, 10)) return TooLarge(text);
    }
  } else if (-shift > 38) {
    // Far below one nano: any non-zero value rounds up to 1n.
    inexact = nanos != 0;
    nanos = nanos != 0 ? 1 : 0;
  } else {
    nanos = DivRoundUp(nanos, Pow10(-shift), &inexact);
  }
  // Dropped fraction digits make the true value strictly larger than what
  // was kept; round up unless the division already did.
  if (sticky && !inexact) ++nanos;
  return Quantity(negative ? -nanos : nanos, format);
}

Quantity Quantity::MustParse(std::string_view text) {
  absl::StatusOr<Quantity> q = Parse(text);
  if (!q.ok()) {
    std::fprintf(stderr, "Quantity::MustParse(\"%.*s\"): %s\n", static_cast<int>(text.size()),
                 text.data(), std::string(q.status().message()).c_str());
    std::abort();
  }
  return *q;
}

Quantity Quantity::FromInt(int64_t value, Format format) {
  return Quantity(static_cast<int128>(value) * kNanosPerUnit, format);
}

Quantity Quantity::FromMilli(int64_t milli, Format format) {
  return Quantity(static_cast<int128>(milli) * 1000000, format);
}

absl::StatusOr<Quantity> Quantity::FromProto(const minik8s::meta::v1::Quantity& proto) {
  if (proto.value().empty()) return Quantity();
  return Parse(proto.value());
}

minik8s::meta::v1::Quantity Quantity::ToProto() const {
  minik8s::meta::v1::Quantity proto;
  proto.set_value(String());
  return proto;
}

std::string Quantity::String() const {
  if (nanos_ == 0) return "0";
  Format format = format_;
  if (format == Format::kBinarySI) {
    int128 mag = nanos_ < 0 ? -nanos_ : nanos_;
    if (mag < 1024 * kNanosPerUnit || mag % kNanosPerUnit != 0) format = Format::kDecimalSI;
  }
  if (format == Format::kBinarySI) {
    static constexpr const char* kSuffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    int128 units = nanos_ / kNanosPerUnit;
    int power = 0;
    while (power < 6 && units % 1024 == 0) {
      units /= 1024;
      ++power;
    }
    return Int128ToString(units) + kSuffixes[power];
  }
  // Decimal: nanos_ = mantissa * 10^exponent with the exponent a multiple
  // of 3 and the mantissa as small as possible.
  int128 mantissa = nanos_;
  int exponent = -9;
  while (mantissa % 10 == 0) {
    mantissa /= 10;
    ++exponent;
  }
  while (((exponent % 3) + 3) % 3 != 0) {
    mantissa *= 10;
    --exponent;
  }
  if (format == Format::kDecimalExponent) {
    if (exponent == 0) return Int128ToString(mantissa);
    return absl::StrCat(Int128ToString(mantissa), "e", exponent);
  }
  while (exponent > 18) {
    mantissa *= 1000;
    exponent -= 3;
  }
  const char* suffix = "";
  switch (exponent) {
    case -9:
      suffix = "n";
      break;
    case -6:
      suffix = "u";
      break;
    case -3:
      suffix = "m";
      break;
    case 0:
      suffix = "";
      break;
    case 3:
      suffix = "k";
      break;
    case 6:
      suffix = "M";
      break;
    case 9:
      suffix = "G";
      break;
    case 12:
      suffix = "T";
      break;
    case 15:
      suffix = "P";
      break;
    case 18:
      suffix = "E";
      break;
  }
  return Int128ToString(mantissa) + suffix;
}

int64_t Quantity::Value() const { return ScaledRoundUp(nanos_, kNanosPerUnit); }

int64_t Quantity::MilliValue() const { return ScaledRoundUp(nanos_, 1000000); }

int Quantity::Cmp(const Quantity& other) const {
  if (nanos_ < other.nanos_) return -1;
  if (nanos_ > other.nanos_) return 1;
  return 0;
}

void Quantity::Add(const Quantity& other) {
  if (nanos_ == 0) format_ = other.format_;
  nanos_ += other.nanos_;
}

void Quantity::Sub(const Quantity& other) {
  if (nanos_ == 0) format_ = other.format_;
  nanos_ -= other.nanos_;
}

Quantity QuantityOrZero(const minik8s::meta::v1::Quantity& proto) {
  absl::StatusOr<Quantity> q = Quantity::FromProto(proto);
  return q.ok() ? *q : Quantity();
}

}  // namespace minik8s::api
