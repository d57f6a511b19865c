// Helpers shared by the per-group validation files (validation_meta.cc,
// validation_core.cc, validation_apps.cc, validation_coordination.cc). Not
// part of the library's interface: include only from api/validation/*.cc.
//
// Thread safety: all functions are pure.
#ifndef MINIK8S_API_VALIDATION_VALIDATION_INTERNAL_H_
#define MINIK8S_API_VALIDATION_VALIDATION_INTERNAL_H_

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include "api/validation/field_error.h"
#include "google/protobuf/map.h"

namespace minik8s::validation::internal {

inline constexpr std::string_view kNegativeMsg = "must be greater than or equal to 0";
inline constexpr std::string_view kImmutableMsg = "field is immutable";
inline constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();

// Appends `more` to `out`.
void Append(FieldErrors* out, FieldErrors more);
// Go-like iteration over a proto map in key order (deterministic errors).
std::map<std::string, std::string> Sorted(const google::protobuf::Map<std::string, std::string>& m);
// Invalid `kNegativeMsg` when `value` < 0.
void NonNegative(int64_t value, const FieldPath& path, FieldErrors* errs);
// A label key (qualified name) with one Invalid per problem.
void ValidateLabelName(std::string_view key, const FieldPath& path, FieldErrors* errs);
// Annotation keys and the total size limit (256 KiB).
FieldErrors ValidateAnnotations(const google::protobuf::Map<std::string, std::string>& annotations,
                                const FieldPath& path);
// Kubernetes' IsConfigMapKey: a key of a Secret's or ConfigMap's data, one
// Invalid at `path` per problem.
void ValidateConfigKey(const std::string& key, const FieldPath& path, FieldErrors* errs);
// Go's %#v of a label map: map[string]string{"app":"x"}, or
// map[string]string(nil) when empty.
std::string PrintLabels(const google::protobuf::Map<std::string, std::string>& labels);

}  // namespace minik8s::validation::internal

#endif  // MINIK8S_API_VALIDATION_VALIDATION_INTERNAL_H_
