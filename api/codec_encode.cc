// Encoding half of the codec (see codec.h). A message is first turned into a
// small JSON-like tree, which is then printed as JSON or YAML.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/quantity.h"
#include "api/time.h"
#include "api/yaml_scalar.h"
#include "k8s/meta/v1/field_options.pb.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

struct Value {
  enum class Type { kNull, kBool, kInt, kUint, kDouble, kString, kObject, kArray };
  Type type = Type::kNull;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string s;
  std::vector<std::string> keys;  // kObject: keys[k] names values[k]
  std::vector<Value> values;      // kObject members or kArray items

  static Value String(std::string v) {
    Value out;
    out.type = Type::kString;
    out.s = std::move(v);
    return out;
  }
  static Value Int(int64_t v) {
    Value out;
    out.type = Type::kInt;
    out.i = v;
    return out;
  }
  bool IsEmptyContainer() const {
    return (type == Type::kObject || type == Type::kArray) && values.empty();
  }
};

Value ToValue(const Message& msg);

Value QuantityValue(const Message& msg) {
  const auto& q = static_cast<const minik8s::meta::v1::Quantity&>(msg);
  if (q.value().empty()) return Value::String("0");
  return Value::String(q.value());
}

Value ScalarValue(const Message& msg, const FieldDescriptor* f, int index) {
  const Reflection* r = msg.GetReflection();
  bool rep = index >= 0;
  Value v;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return Value::Int(rep ? r->GetRepeatedInt32(msg, f, index) : r->GetInt32(msg, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return Value::Int(rep ? r->GetRepeatedInt64(msg, f, index) : r->GetInt64(msg, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      v.type = Value::Type::kUint;
      v.u = rep ? r->GetRepeatedUInt32(msg, f, index) : r->GetUInt32(msg, f);
      return v;
    case FieldDescriptor::CPPTYPE_UINT64:
      v.type = Value::Type::kUint;
      v.u = rep ? r->GetRepeatedUInt64(msg, f, index) : r->GetUInt64(msg, f);
      return v;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      v.type = Value::Type::kDouble;
      v.d = rep ? r->GetRepeatedDouble(msg, f, index) : r->GetDouble(msg, f);
      return v;
    case FieldDescriptor::CPPTYPE_FLOAT:
      v.type = Value::Type::kDouble;
      v.d = rep ? r->GetRepeatedFloat(msg, f, index) : r->GetFloat(msg, f);
      return v;
    case FieldDescriptor::CPPTYPE_BOOL:
      v.type = Value::Type::kBool;
      v.b = rep ? r->GetRepeatedBool(msg, f, index) : r->GetBool(msg, f);
      return v;
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string text = rep ? r->GetRepeatedString(msg, f, index) : r->GetString(msg, f);
      // bytes are base64 in JSON, as Go's encoding/json writes []byte.
      if (f->type() == FieldDescriptor::TYPE_BYTES) return Value::String(absl::Base64Escape(text));
      return Value::String(std::move(text));
    }
    case FieldDescriptor::CPPTYPE_ENUM:
      return Value::String(rep ? r->GetRepeatedEnum(msg, f, index)->name()
                               : r->GetEnum(msg, f)->name());
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return ToValue(rep ? r->GetRepeatedMessage(msg, f, index) : r->GetMessage(msg, f));
  }
  return v;
}

Value MapValue(const Message& msg, const FieldDescriptor* f) {
  const Reflection* r = msg.GetReflection();
  const FieldDescriptor* key_field = f->message_type()->map_key();
  const FieldDescriptor* value_field = f->message_type()->map_value();
  std::vector<std::pair<std::string, Value>> entries;
  int n = r->FieldSize(msg, f);
  entries.reserve(n);
  for (int i = 0; i < n; ++i) {
    const Message& entry = r->GetRepeatedMessage(msg, f, i);
    Value key = ScalarValue(entry, key_field, -1);
    std::string key_text = key.type == Value::Type::kString ? key.s
                           : key.type == Value::Type::kUint ? absl::StrCat(key.u)
                           : key.type == Value::Type::kBool ? (key.b ? "true" : "false")
                                                            : absl::StrCat(key.i);
    entries.emplace_back(std::move(key_text), ScalarValue(entry, value_field, -1));
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Value out;
  out.type = Value::Type::kObject;
  for (auto& [k, v] : entries) {
    out.keys.push_back(std::move(k));
    out.values.push_back(std::move(v));
  }
  return out;
}

Value ToValue(const Message& msg) {
  const Descriptor* d = msg.GetDescriptor();
  const std::string& type = d->full_name();
  if (type == "minik8s.meta.v1.Quantity") return QuantityValue(msg);
  if (type == "minik8s.meta.v1.IntOrString") {
    const auto& v = static_cast<const minik8s::meta::v1::IntOrString&>(msg);
    if (v.value_case() == minik8s::meta::v1::IntOrString::kStrVal)
      return Value::String(v.str_val());
    return Value::Int(v.int_val());
  }
  if (type == "minik8s.meta.v1.Time") {
    const auto& t = static_cast<const minik8s::meta::v1::Time&>(msg);
    return Value::String(FormatRfc3339(FromProtoTime(t)));
  }
  if (type == "minik8s.meta.v1.MicroTime") {
    const auto& t = static_cast<const minik8s::meta::v1::MicroTime&>(msg);
    return Value::String(FormatRfc3339Micro(FromProtoMicroTime(t)));
  }
  const Reflection* r = msg.GetReflection();
  if (type == "minik8s.certificates.v1.ExtraValue") {
    // Kubernetes' ExtraValue is a []string: an array, also when empty.
    const FieldDescriptor* items = d->FindFieldByName("items");
    Value list;
    list.type = Value::Type::kArray;
    for (int k = 0; k < r->FieldSize(msg, items); ++k) {
      list.values.push_back(ScalarValue(msg, items, k));
    }
    return list;
  }
  Value out;
  out.type = Value::Type::kObject;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_map()) {
      if (r->FieldSize(msg, f) == 0) continue;
      out.keys.push_back(f->json_name());
      out.values.push_back(MapValue(msg, f));
    } else if (f->is_repeated()) {
      int n = r->FieldSize(msg, f);
      if (n == 0) continue;
      Value list;
      list.type = Value::Type::kArray;
      list.values.reserve(n);
      for (int k = 0; k < n; ++k) list.values.push_back(ScalarValue(msg, f, k));
      out.keys.push_back(f->json_name());
      out.values.push_back(std::move(list));
    } else {
      // Messages and proto3 `optional` scalars print when set; plain proto3
      // scalars report "set" only when non-zero (omitempty), unless
      // Kubernetes writes them also when zero (emit_empty).
      if (!r->HasField(msg, f) &&
          (f->has_presence() || !f->options().GetExtension(minik8s::meta::v1::emit_empty))) {
        continue;
      }
      out.keys.push_back(f->json_name());
      out.values.push_back(ScalarValue(msg, f, -1));
    }
  }
  return out;
}

std::string DoubleText(double d) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  if (ec != std::errc()) return "0";
  return std::string(buf, ptr);
}

std::string ScalarText(const Value& v, bool yaml) {
  switch (v.type) {
    case Value::Type::kNull:
      return "null";
    case Value::Type::kBool:
      return v.b ? "true" : "false";
    case Value::Type::kInt:
      return absl::StrCat(v.i);
    case Value::Type::kUint:
      return absl::StrCat(v.u);
    case Value::Type::kDouble:
      return DoubleText(v.d);
    case Value::Type::kString:
      if (yaml && !YamlNeedsQuotes(v.s)) return v.s;
      return JsonQuote(v.s);
    case Value::Type::kObject:
      return "{}";
    case Value::Type::kArray:
      return "[]";
  }
  return "null";
}

// ---- JSON

void WriteJson(const Value& v, int indent, int depth, std::string* out) {
  bool object = v.type == Value::Type::kObject;
  if ((!object && v.type != Value::Type::kArray) || v.values.empty()) {
    out->append(ScalarText(v, /*yaml=*/false));
    return;
  }
  out->push_back(object ? '{' : '[');
  for (size_t k = 0; k < v.values.size(); ++k) {
    if (k > 0) out->push_back(',');
    if (indent > 0) {
      out->push_back('\n');
      out->append(static_cast<size_t>(indent * (depth + 1)), ' ');
    }
    if (object) {
      out->append(JsonQuote(v.keys[k]));
      out->append(indent > 0 ? ": " : ":");
    }
    WriteJson(v.values[k], indent, depth + 1, out);
  }
  if (indent > 0) {
    out->push_back('\n');
    out->append(static_cast<size_t>(indent * depth), ' ');
  }
  out->push_back(object ? '}' : ']');
}

// ---- YAML (block style, keys sorted, sequences not indented under their key)

void WriteYamlBlock(const Value& v, int indent, bool first_inline, std::string* out);

// Writes what follows `key:` or `-` for value v whose children sit at
// `indent`.
void WriteYamlAfterIndicator(const Value& v, int indent, bool in_sequence, std::string* out) {
  if ((v.type != Value::Type::kObject && v.type != Value::Type::kArray) || v.values.empty()) {
    out->push_back(' ');
    out->append(ScalarText(v, /*yaml=*/true));
    out->push_back('\n');
    return;
  }
  if (in_sequence) {
    // `- key: value` with the rest of the map aligned under the first key.
    out->push_back(' ');
    WriteYamlBlock(v, indent, /*first_inline=*/true, out);
    return;
  }
  out->push_back('\n');
  WriteYamlBlock(v, indent, /*first_inline=*/false, out);
}

void WriteYamlBlock(const Value& v, int indent, bool first_inline, std::string* out) {
  if (v.type == Value::Type::kObject) {
    std::vector<size_t> order(v.keys.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return v.keys[a] < v.keys[b]; });
    bool first = true;
    for (size_t k : order) {
      if (!(first && first_inline)) out->append(static_cast<size_t>(indent), ' ');
      first = false;
      const std::string& key = v.keys[k];
      out->append(YamlNeedsQuotes(key) ? JsonQuote(key) : key);
      out->push_back(':');
      const Value& child = v.values[k];
      // Sequences under a key sit at the key's own indentation.
      int child_indent = child.type == Value::Type::kArray ? indent : indent + 2;
      WriteYamlAfterIndicator(child, child_indent, /*in_sequence=*/false, out);
    }
    return;
  }
  // Sequence.
  bool first = true;
  for (const Value& item : v.values) {
    if (!(first && first_inline)) out->append(static_cast<size_t>(indent), ' ');
    first = false;
    out->push_back('-');
    if (item.type == Value::Type::kArray && !item.values.empty()) {
      out->push_back('\n');
      WriteYamlBlock(item, indent + 2, /*first_inline=*/false, out);
    } else {
      WriteYamlAfterIndicator(item, indent + 2, /*in_sequence=*/true, out);
    }
  }
}

YAML::Node ToNode(const Value& v) {
  switch (v.type) {
    case Value::Type::kNull:
      return YAML::Node(YAML::NodeType::Null);
    case Value::Type::kString: {
      YAML::Node n(v.s);
      n.SetTag("!");
      return n;
    }
    case Value::Type::kObject: {
      YAML::Node n(YAML::NodeType::Map);
      for (size_t k = 0; k < v.keys.size(); ++k) n[v.keys[k]] = ToNode(v.values[k]);
      return n;
    }
    case Value::Type::kArray: {
      YAML::Node n(YAML::NodeType::Sequence);
      for (const Value& item : v.values) n.push_back(ToNode(item));
      return n;
    }
    default: {
      YAML::Node n(ScalarText(v, /*yaml=*/false));
      n.SetTag("?");
      return n;
    }
  }
}

}  // namespace

std::string EncodeJson(const Message& message) {
  std::string out;
  WriteJson(ToValue(message), 0, 0, &out);
  return out;
}

std::string EncodeJsonIndented(const Message& message) {
  std::string out;
  WriteJson(ToValue(message), 4, 0, &out);
  return out;
}

std::string EncodeYaml(const Message& message) {
  Value v = ToValue(message);
  if (v.type != Value::Type::kObject || v.values.empty()) {
    return ScalarText(v, /*yaml=*/true) + "\n";
  }
  std::string out;
  WriteYamlBlock(v, 0, /*first_inline=*/false, &out);
  return out;
}

YAML::Node EncodeNode(const Message& message) { return ToNode(ToValue(message)); }

}  // namespace minik8s::api
