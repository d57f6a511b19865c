// Field-level validation errors printed exactly like Kubernetes' field.Error
// (k8s.io/apimachinery/pkg/util/validation/field), and the aggregate
// "is invalid" message the apiserver returns.
//
//   spec.replicas: Invalid value: -1: must be greater than or equal to 0
//   metadata.name: Required value: name or generateName is required
//   spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"
//   spec.template.spec.containers[1].name: Duplicate value: "nginx"
//
// `bad_value` holds the value already printed the way Kubernetes prints it
// (strings quoted Go-style, numbers bare); use the factory functions, which
// do the printing. Required, Forbidden and TooLong never print the value.
//
// Thread safety: value types and pure functions.
#ifndef MINIK8S_API_VALIDATION_FIELD_ERROR_H_
#define MINIK8S_API_VALIDATION_FIELD_ERROR_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace minik8s::validation {

// A field path: `spec.template.spec.containers[0].resources.limits[cpu]`.
class FieldPath {
 public:
  FieldPath() = default;
  explicit FieldPath(std::string_view root) : path_(root) {}

  FieldPath Child(std::string_view name) const;
  FieldPath Index(int64_t i) const;
  FieldPath Key(std::string_view key) const;

  const std::string& String() const { return path_; }

 private:
  std::string path_;
};

struct FieldError {
  enum class Type {
    kRequired,
    kInvalid,
    kNotSupported,
    kDuplicate,
    kForbidden,
    kTooLong,
    kTooMany,
    kNotFound,
  };

  Type type = Type::kInvalid;
  std::string field;      // "" prints as "<nil>", as Kubernetes does
  std::string bad_value;  // already printed: "\"nginx\"", "-1"; may be ""
  std::string detail;

  // `<field>: <ErrorBody()>`
  std::string ToString() const;
  // `Invalid value: -1: must be ...` (no field).
  std::string ErrorBody() const;
  // "Required value", "Invalid value", ...
  static std::string_view TypeString(Type type);

  friend bool operator==(const FieldError& a, const FieldError& b) {
    return a.type == b.type && a.field == b.field && a.bad_value == b.bad_value &&
           a.detail == b.detail;
  }
};

using FieldErrors = std::vector<FieldError>;

// Go-style printing of bad values.
std::string QuoteValue(std::string_view s);  // strconv.Quote
std::string PrintValue(int64_t v);
std::string PrintBool(bool v);
// %#v of []string: []string{"a", "b"}
std::string PrintStringSlice(const std::vector<std::string>& values);
// %#v of map[string]string (keys sorted): map[string]string{"a":"b", "c":"d"}
std::string PrintStringMap(const std::map<std::string, std::string>& m);

// Factories, named after Kubernetes' field.Required, field.Invalid, ...
FieldError Required(const FieldPath& path, std::string_view detail);
FieldError Invalid(const FieldPath& path, std::string_view value, std::string_view detail);
FieldError Invalid(const FieldPath& path, int64_t value, std::string_view detail);
// `printed_value` is used verbatim.
FieldError InvalidPrinted(const FieldPath& path, std::string_view printed_value,
                          std::string_view detail);
FieldError NotSupported(const FieldPath& path, std::string_view value,
                        const std::vector<std::string>& valid_values);
FieldError Duplicate(const FieldPath& path, std::string_view value);
FieldError DuplicatePrinted(const FieldPath& path, std::string_view printed_value);
FieldError Forbidden(const FieldPath& path, std::string_view detail);
FieldError TooLong(const FieldPath& path, int max_length);
FieldError TooMany(const FieldPath& path, int actual, int max);
FieldError NotFound(const FieldPath& path, std::string_view value);

// Kubernetes' utilerrors aggregate of `errs`: duplicates (same text) dropped;
// one error prints as itself, several as `[e1, e2]`; "" for none.
std::string AggregateMessage(const FieldErrors& errs);

// `Deployment.apps "x" is invalid: <AggregateMessage(errs)>`. `kind_group` is
// the kind qualified by its group ("Pod" for the core group).
std::string InvalidMessage(std::string_view kind_group, std::string_view name,
                           const FieldErrors& errs);

// OK for no errors, else InvalidArgument with InvalidMessage().
absl::Status InvalidStatus(std::string_view kind_group, std::string_view name,
                           const FieldErrors& errs);

}  // namespace minik8s::validation

#endif  // MINIK8S_API_VALIDATION_FIELD_ERROR_H_
