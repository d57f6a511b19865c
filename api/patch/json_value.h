// The JSON value tree the patch functions work on (internal to
// minik8s_patch).
//
// yaml-cpp nodes are references: assigning one node into another tree makes
// both trees share it, and sequences cannot be spliced. The patch code
// therefore copies its inputs into this plain tree (bounded in depth and
// size while it copies), edits that, and builds brand-new yaml-cpp nodes for
// the result, so a result never aliases an input. Scalars keep their text
// and their yaml-cpp tag: "!" marks a quoted (string) scalar, which is how
// api::EncodeNode and the YAML/JSON parser mark strings.
//
// Thread safety: values are plain data; the functions are pure.
#ifndef MINIK8S_API_PATCH_JSON_VALUE_H_
#define MINIK8S_API_PATCH_JSON_VALUE_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::patch {

// Limits every patch function applies to its inputs.
// Nesting of objects and arrays: the same bound as every parse
// (api/yaml_limits.h), and shallow enough that the recursive merge stays far
// from the end of an 8 MiB stack even in an unoptimised sanitizer build.
inline constexpr int kMaxDepth = 256;
inline constexpr size_t kMaxNodes = 1000000;  // nodes per input, after alias expansion

struct JsonValue {
  enum class Type { kNull, kScalar, kObject, kArray };
  // The JSON type of a scalar, resolved from its text and tag.
  enum class ScalarType { kString, kNumber, kBool, kNull };

  Type type = Type::kNull;
  // kScalar: the text and the yaml-cpp tag ("!" for a quoted string).
  std::string text;
  std::string tag;
  // kObject: members in order; keys are unique.
  std::vector<std::pair<std::string, JsonValue>> members;
  // kArray: elements.
  std::vector<JsonValue> elements;

  // The special members are defined out of line (json_value.cc): `members`
  // holds std::pair<std::string, JsonValue>, which must not be instantiated
  // while JsonValue is still incomplete (clang rejects it).
  JsonValue();
  ~JsonValue();
  JsonValue(const JsonValue&);
  JsonValue(JsonValue&&) noexcept;
  JsonValue& operator=(const JsonValue&);
  JsonValue& operator=(JsonValue&&) noexcept;

  static JsonValue Object();
  static JsonValue Array();
  static JsonValue String(std::string s);

  bool is_null() const;  // JSON null (a null node or a plain `null` scalar)
  bool is_object() const { return type == Type::kObject; }
  bool is_array() const { return type == Type::kArray; }
  bool is_scalar() const { return type == Type::kScalar && !is_null(); }
  // For scalars: the JSON type. Null values report kNull.
  ScalarType scalar_type() const;
  // True for a scalar of JSON type string; `text` is then its value.
  bool is_string() const { return type == Type::kScalar && scalar_type() == ScalarType::kString; }

  // Object access. Find returns nullptr when `key` is absent.
  const JsonValue* Find(absl::string_view key) const;
  JsonValue* Find(absl::string_view key);
  // Sets `key` (replacing the value in place when present, else appending).
  void Set(std::string key, JsonValue value);
  // Removes `key`; false when absent.
  bool Remove(absl::string_view key);
};

inline JsonValue JsonValue::Object() {
  JsonValue v;
  v.type = Type::kObject;
  return v;
}

inline JsonValue JsonValue::Array() {
  JsonValue v;
  v.type = Type::kArray;
  return v;
}

// Copies `node` into a tree. Errors (InvalidArgument) name `what` ("patch",
// "document"): a tree deeper than kMaxDepth, more than kMaxNodes nodes, or a
// mapping key that is not a scalar.
absl::StatusOr<JsonValue> FromNode(const YAML::Node& node, absl::string_view what);

// A new yaml-cpp tree for `value`; shares nothing with any other tree.
YAML::Node ToNode(const JsonValue& value);

// JSON equality: strings by text, numbers by value (1 == 1.0), booleans,
// nulls; objects by members regardless of order; arrays element by element.
bool JsonEqual(const JsonValue& a, const JsonValue& b);

// Compact JSON text for error messages, cut to about `max_len` characters.
std::string ToJsonText(const JsonValue& value, size_t max_len = 200);

}  // namespace minik8s::patch

#endif  // MINIK8S_API_PATCH_JSON_VALUE_H_
