#include "kubectl/apply/json_node.h"

#include <regex>

#include "absl/strings/str_format.h"

namespace minik8s::kubectl {
namespace {

enum class ScalarType { kNull, kBool, kNumber, kString };

ScalarType Resolve(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return ScalarType::kNull;
  if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return ScalarType::kString;
  const std::string& s = node.Scalar();
  if (s == "null" || s == "Null" || s == "NULL" || s == "~" || s.empty()) return ScalarType::kNull;
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
    return ScalarType::kBool;
  }
  static const std::regex kNumber(R"(^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$)");
  if (std::regex_match(s, kNumber)) return ScalarType::kNumber;
  return ScalarType::kString;
}

void AppendString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      default:
        if (c < 0x20) {
          *out += absl::StrFormat("\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void Append(const YAML::Node& node, std::string* out) {
  if (!node.IsDefined() || node.IsNull()) {
    *out += "null";
    return;
  }
  if (node.IsMap()) {
    out->push_back('{');
    bool first = true;
    for (const auto& kv : node) {
      if (!first) out->push_back(',');
      first = false;
      AppendString(kv.first.Scalar(), out);
      out->push_back(':');
      Append(kv.second, out);
    }
    out->push_back('}');
    return;
  }
  if (node.IsSequence()) {
    out->push_back('[');
    for (size_t i = 0; i < node.size(); ++i) {
      if (i > 0) out->push_back(',');
      Append(node[i], out);
    }
    out->push_back(']');
    return;
  }
  switch (Resolve(node)) {
    case ScalarType::kNull:
      *out += "null";
      break;
    case ScalarType::kBool: {
      const std::string& s = node.Scalar();
      *out += (s[0] == 't' || s[0] == 'T') ? "true" : "false";
      break;
    }
    case ScalarType::kNumber:
      *out += node.Scalar();
      break;
    case ScalarType::kString:
      AppendString(node.Scalar(), out);
      break;
  }
}

}  // namespace

std::string NodeToJson(const YAML::Node& node) {
  std::string out;
  Append(node, &out);
  return out;
}

YAML::Node StringNode(const std::string& value) {
  YAML::Node node(value);
  node.SetTag("!");
  return node;
}

bool NodesEqual(const YAML::Node& a, const YAML::Node& b) {
  const bool a_null = !a.IsDefined() || a.IsNull();
  const bool b_null = !b.IsDefined() || b.IsNull();
  if (a_null || b_null) {
    if (a_null && b_null) return true;
    const YAML::Node& other = a_null ? b : a;
    return other.IsScalar() && Resolve(other) == ScalarType::kNull;
  }
  if (a.IsMap() != b.IsMap() || a.IsSequence() != b.IsSequence()) return false;
  if (a.IsMap()) {
    if (a.size() != b.size()) return false;
    for (const auto& kv : a) {
      const YAML::Node other = b[kv.first.Scalar()];
      if (!other.IsDefined()) return false;
      if (!NodesEqual(kv.second, other)) return false;
    }
    return true;
  }
  if (a.IsSequence()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!NodesEqual(a[i], b[i])) return false;
    }
    return true;
  }
  const ScalarType ta = Resolve(a), tb = Resolve(b);
  if (ta != tb) return false;
  if (ta == ScalarType::kBool) return (a.Scalar()[0] | 0x20) == (b.Scalar()[0] | 0x20);
  return a.Scalar() == b.Scalar();
}

}  // namespace minik8s::kubectl
