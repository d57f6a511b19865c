#include "api/patch/json_value.h"

#include <cstdint>
#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/yaml_scalar.h"

namespace minik8s::patch {

JsonValue::JsonValue() = default;
JsonValue::~JsonValue() = default;
JsonValue::JsonValue(const JsonValue&) = default;
JsonValue::JsonValue(JsonValue&&) noexcept = default;
JsonValue& JsonValue::operator=(const JsonValue&) = default;
JsonValue& JsonValue::operator=(JsonValue&&) noexcept = default;

namespace {

bool IsStringTag(const std::string& tag) { return tag == "!" || tag == "tag:yaml.org,2002:str"; }

class Converter {
 public:
  explicit Converter(absl::string_view what) : what_(what) {}

  absl::Status Convert(const YAML::Node& node, int depth, JsonValue* out) {
    if (++nodes_ > kMaxNodes) {
      return absl::InvalidArgumentError(absl::StrCat("the ", what_, " has more than ", kMaxNodes,
                                                     " values (after expanding aliases)"));
    }
    if (depth > kMaxDepth) {
      return absl::InvalidArgumentError(
          absl::StrCat("the ", what_, " is nested more than ", kMaxDepth, " levels deep"));
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out->type = JsonValue::Type::kNull;
        return absl::OkStatus();
      case YAML::NodeType::Scalar:
        out->type = JsonValue::Type::kScalar;
        out->text = node.Scalar();
        out->tag = node.Tag();
        return absl::OkStatus();
      case YAML::NodeType::Sequence:
        out->type = JsonValue::Type::kArray;
        out->elements.reserve(node.size());
        for (const YAML::Node& item : node) {
          JsonValue element;
          absl::Status s = Convert(item, depth + 1, &element);
          if (!s.ok()) return s;
          out->elements.push_back(std::move(element));
        }
        return absl::OkStatus();
      case YAML::NodeType::Map: {
        out->type = JsonValue::Type::kObject;
        absl::flat_hash_map<std::string, size_t> index;  // key -> position in members
        for (auto it = node.begin(); it != node.end(); ++it) {
          const YAML::Node key = it->first;
          if (!key.IsScalar()) {
            return absl::InvalidArgumentError(
                absl::StrCat("the ", what_, " has an object key that is not a string"));
          }
          JsonValue member;
          absl::Status s = Convert(it->second, depth + 1, &member);
          if (!s.ok()) return s;
          auto [pos, inserted] = index.try_emplace(key.Scalar(), out->members.size());
          if (inserted) {
            out->members.emplace_back(key.Scalar(), std::move(member));
          } else {
            out->members[pos->second].second = std::move(member);  // the last wins, as in JSON
          }
        }
        return absl::OkStatus();
      }
    }
    return absl::InternalError("unknown yaml-cpp node type");
  }

 private:
  absl::string_view what_;
  size_t nodes_ = 0;
};

bool NumbersEqual(const std::string& a, const std::string& b) {
  int64_t ia = 0;
  int64_t ib = 0;
  if (absl::SimpleAtoi(api::IntegerText(a), &ia) && absl::SimpleAtoi(api::IntegerText(b), &ib)) {
    return ia == ib;
  }
  return std::strtold(a.c_str(), nullptr) == std::strtold(b.c_str(), nullptr);
}

void AppendJson(const JsonValue& v, size_t max_len, std::string* out) {
  if (out->size() > max_len) return;
  switch (v.type) {
    case JsonValue::Type::kNull:
      out->append("null");
      return;
    case JsonValue::Type::kScalar:
      switch (v.scalar_type()) {
        case JsonValue::ScalarType::kString:
          out->append(api::JsonQuote(v.text));
          return;
        case JsonValue::ScalarType::kNull:
          out->append("null");
          return;
        case JsonValue::ScalarType::kBool:
          out->append(absl::AsciiStrToLower(v.text));
          return;
        case JsonValue::ScalarType::kNumber:
          // 0644, 0x1a4: YAML forms that JSON writes in decimal.
          out->append(api::ResolvePlainScalar(v.text) == api::ScalarKind::kInteger
                          ? api::IntegerText(v.text)
                          : v.text);
          return;
      }
      return;
    case JsonValue::Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, member] : v.members) {
        if (!first) out->push_back(',');
        first = false;
        out->append(api::JsonQuote(key));
        out->push_back(':');
        AppendJson(member, max_len, out);
        if (out->size() > max_len) return;
      }
      out->push_back('}');
      return;
    }
    case JsonValue::Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const JsonValue& element : v.elements) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(element, max_len, out);
        if (out->size() > max_len) return;
      }
      out->push_back(']');
      return;
    }
  }
}

// Writes `v` into `out`, a node already in the result tree. Building top
// down keeps every node in one yaml-cpp memory pool: attaching a finished
// subtree instead merges its pool into the parent's, which costs the
// subtree's size at every level (quadratic in depth).
void FillNode(const JsonValue& v, YAML::Node out) {
  switch (v.type) {
    case JsonValue::Type::kNull:
      return;  // a new node is null
    case JsonValue::Type::kScalar:
      out = v.text;
      if (!v.tag.empty()) out.SetTag(v.tag);
      return;
    case JsonValue::Type::kObject:
      out = YAML::Node(YAML::NodeType::Map);
      for (const auto& [key, member] : v.members) {
        YAML::Node child(YAML::NodeType::Null);  // allocated now, not on first use
        out.force_insert(key, child);            // keys are unique; skip yaml-cpp's linear lookup
        FillNode(member, child);
      }
      return;
    case JsonValue::Type::kArray:
      out = YAML::Node(YAML::NodeType::Sequence);
      for (const JsonValue& element : v.elements) {
        YAML::Node child(YAML::NodeType::Null);  // allocated now, not on first use
        out.push_back(child);
        FillNode(element, child);
      }
      return;
  }
}

}  // namespace

JsonValue JsonValue::String(std::string s) {
  JsonValue v;
  v.type = Type::kScalar;
  v.text = std::move(s);
  v.tag = "!";
  return v;
}

JsonValue::ScalarType JsonValue::scalar_type() const {
  if (type != Type::kScalar) return ScalarType::kNull;
  if (IsStringTag(tag)) return ScalarType::kString;
  switch (api::ResolvePlainScalar(text)) {
    case api::ScalarKind::kNull:
      return ScalarType::kNull;
    case api::ScalarKind::kBool:
      return ScalarType::kBool;
    case api::ScalarKind::kInteger:
    case api::ScalarKind::kFloat:
      return ScalarType::kNumber;
    case api::ScalarKind::kString:
      return ScalarType::kString;
  }
  return ScalarType::kString;
}

bool JsonValue::is_null() const {
  return type == Type::kNull || (type == Type::kScalar && scalar_type() == ScalarType::kNull);
}

const JsonValue* JsonValue::Find(absl::string_view key) const {
  for (const auto& [k, v] : members) {
    if (k == key) return &v;
  }
  return nullptr;
}

JsonValue* JsonValue::Find(absl::string_view key) {
  for (auto& [k, v] : members) {
    if (k == key) return &v;
  }
  return nullptr;
}

void JsonValue::Set(std::string key, JsonValue value) {
  if (JsonValue* existing = Find(key)) {
    *existing = std::move(value);
    return;
  }
  members.emplace_back(std::move(key), std::move(value));
}

bool JsonValue::Remove(absl::string_view key) {
  for (auto it = members.begin(); it != members.end(); ++it) {
    if (it->first == key) {
      members.erase(it);
      return true;
    }
  }
  return false;
}

absl::StatusOr<JsonValue> FromNode(const YAML::Node& node, absl::string_view what) {
  JsonValue out;
  Converter converter(what);
  absl::Status s = converter.Convert(node, 0, &out);
  if (!s.ok()) return s;
  return out;
}

YAML::Node ToNode(const JsonValue& value) {
  YAML::Node root(YAML::NodeType::Null);
  FillNode(value, root);
  return root;
}

bool JsonEqual(const JsonValue& a, const JsonValue& b) {
  if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
  if (a.type != b.type) return false;
  switch (a.type) {
    case JsonValue::Type::kNull:
      return true;
    case JsonValue::Type::kScalar: {
      JsonValue::ScalarType ta = a.scalar_type();
      if (ta != b.scalar_type()) return false;
      switch (ta) {
        case JsonValue::ScalarType::kString:
          return a.text == b.text;
        case JsonValue::ScalarType::kNumber:
          return NumbersEqual(a.text, b.text);
        case JsonValue::ScalarType::kBool:
          return absl::AsciiStrToLower(a.text) == absl::AsciiStrToLower(b.text);
        case JsonValue::ScalarType::kNull:
          return true;
      }
      return false;
    }
    case JsonValue::Type::kObject: {
      if (a.members.size() != b.members.size()) return false;
      for (const auto& [key, member] : a.members) {
        const JsonValue* other = b.Find(key);
        if (other == nullptr || !JsonEqual(member, *other)) return false;
      }
      return true;
    }
    case JsonValue::Type::kArray: {
      if (a.elements.size() != b.elements.size()) return false;
      for (size_t i = 0; i < a.elements.size(); ++i) {
        if (!JsonEqual(a.elements[i], b.elements[i])) return false;
      }
      return true;
    }
  }
  return false;
}

std::string ToJsonText(const JsonValue& value, size_t max_len) {
  std::string out;
  AppendJson(value, max_len, &out);
  if (out.size() > max_len) {
    out.resize(max_len);
    out.append("...");
  }
  return out;
}

}  // namespace minik8s::patch
