// Quantity: a fixed-point resource amount with Kubernetes' resource.Quantity
// string forms (`500m`, `128Mi`, `1.5`, `2`, `1e3`, `1Gi`).
//
// Contract
//   - Parse accepts `[+-]?digits[.digits]` followed by one suffix: none, a
//     decimal SI suffix (n u m k M G T P E), a binary SI suffix (Ki Mi Gi Ti
//     Pi Ei) or a decimal exponent (e3, E-3). The suffix picks the format
//     the quantity prints in.
//   - The value is kept exactly in units of 10^-9 (nano). Finer precision is
//     rounded up (away from zero), as Kubernetes does. Magnitudes above about
//     1.7e29 are rejected as too large.
//   - String() prints the canonical form: `0.5` → `500m`, `1.5` → `1500m`,
//     `1024Mi` → `1Gi`, `1000m` → `1`, `1000` → `1k`, `1e3` stays `1e3`. A
//     binary quantity that is below 1024 or not an integer prints in decimal
//     SI (`0.5Ki` → `512`).
//   - Value() and MilliValue() round up (away from zero) and saturate at the
//     int64 limits.
//   - Arithmetic keeps the format of the left operand unless it is zero.
//
// Thread safety: a value type; const methods are safe to call concurrently.
#ifndef MINIK8S_API_QUANTITY_H_
#define MINIK8S_API_QUANTITY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::api {

class Quantity {
 public:
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };

  // Zero, decimal SI.
  Quantity() = default;

  // Parses a quantity string. The error message follows Kubernetes':
  // "quantities must match the regular expression '...'".
  static absl::StatusOr<Quantity> Parse(std::string_view text);
  // Parse that aborts the process on bad input; for constants in code/tests.
  static Quantity MustParse(std::string_view text);

  static Quantity FromInt(int64_t value, Format format = Format::kDecimalSI);
  static Quantity FromMilli(int64_t milli, Format format = Format::kDecimalSI);

  // The proto form holds the canonical string; an empty string is zero.
  static absl::StatusOr<Quantity> FromProto(const minik8s::meta::v1::Quantity& proto);
  minik8s::meta::v1::Quantity ToProto() const;

  // Canonical string form.
  std::string String() const;

  // The value in whole units / thousandths, rounded up away from zero.
  int64_t Value() const;
  int64_t MilliValue() const;

  Format format() const { return format_; }
  bool IsZero() const { return nanos_ == 0; }
  // -1, 0 or 1.
  int Sign() const { return nanos_ < 0 ? -1 : (nanos_ > 0 ? 1 : 0); }
  // -1, 0 or 1 as *this is less than, equal to or greater than other.
  int Cmp(const Quantity& other) const;

  void Add(const Quantity& other);
  void Sub(const Quantity& other);
  void Neg() { nanos_ = -nanos_; }

  friend Quantity operator+(Quantity a, const Quantity& b) {
    a.Add(b);
    return a;
  }
  friend Quantity operator-(Quantity a, const Quantity& b) {
    a.Sub(b);
    return a;
  }
  // Compares values only (1000m == 1 regardless of format).
  friend bool operator==(const Quantity& a, const Quantity& b) { return a.Cmp(b) == 0; }
  friend bool operator<(const Quantity& a, const Quantity& b) { return a.Cmp(b) < 0; }
  friend bool operator<=(const Quantity& a, const Quantity& b) { return a.Cmp(b) <= 0; }
  friend bool operator>(const Quantity& a, const Quantity& b) { return a.Cmp(b) > 0; }
  friend bool operator>=(const Quantity& a, const Quantity& b) { return a.Cmp(b) >= 0; }

 private:
  Quantity(__int128 nanos, Format format) : nanos_(nanos), format_(format) {}

  __int128 nanos_ = 0;  // the value times 10^9
  Format format_ = Format::kDecimalSI;
};

// Convenience for maps of quantities (requests, limits, capacity): parses
// `proto`, treating an unparsable value as zero. Use Quantity::FromProto when
// the caller must see the error.
Quantity QuantityOrZero(const minik8s::meta::v1::Quantity& proto);

}  // namespace minik8s::api

#endif  // MINIK8S_API_QUANTITY_H_
