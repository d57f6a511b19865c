// Decoding half of the codec (see codec.h).
#include <cstdint>
#include <limits>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/quantity.h"
#include "api/time.h"
#include "api/yaml_limits.h"
#include "api/yaml_scalar.h"
#include "common/status_macros.h"

namespace minik8s::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr std::string_view kQuantityType = "minik8s.meta.v1.Quantity";
constexpr std::string_view kIntOrStringType = "minik8s.meta.v1.IntOrString";
constexpr std::string_view kTimeType = "minik8s.meta.v1.Time";
constexpr std::string_view kMicroTimeType = "minik8s.meta.v1.MicroTime";
// Kubernetes' ExtraValue is a []string: a JSON array, held in `items`.
constexpr std::string_view kExtraValueType = "minik8s.certificates.v1.ExtraValue";

std::string Where(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return "";
  return absl::StrCat("line ", mark.line + 1, ", column ", mark.column + 1, ": ");
}

absl::Status Error(const YAML::Node& node, std::string_view path, std::string_view message) {
  std::string where = Where(node.Mark());
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(where, std::string(message)));
  return absl::InvalidArgumentError(
      absl::StrCat(where, std::string(path), ": ", std::string(message)));
}

bool IsQuotedString(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  return tag == "!" || tag == "tag:yaml.org,2002:str";
}

// The JSON-like type of a node: for scalars resolved from the text unless
// quoted.
ScalarKind KindOf(const YAML::Node& node) {
  if (node.IsNull()) return ScalarKind::kNull;
  if (IsQuotedString(node)) return ScalarKind::kString;
  return ResolvePlainScalar(node.Scalar());
}

// `string "3"`, `number 3`, `boolean true`, `null`, `object`, `array`.
std::string Describe(const YAML::Node& node) {
  if (node.IsMap()) return "object";
  if (node.IsSequence()) return "array";
  if (!node.IsDefined() || node.IsNull()) return "null";
  ScalarKind kind = KindOf(node);
  std::string shown = node.Scalar();
  if (shown.size() > 64) shown = shown.substr(0, 61) + "...";
  if (kind == ScalarKind::kString) return absl::StrCat("string ", JsonQuote(shown));
  return absl::StrCat(ScalarKindName(kind), " ", shown);
}

absl::Status TypeError(const YAML::Node& node, std::string_view path, std::string_view expected) {
  return Error(node, path,
               absl::StrCat("expected ", std::string(expected), ", got ", Describe(node)));
}

// A []byte field's JSON form: standard base64 with padding, as Go's
// encoding/json reads it (line breaks are skipped, anything else outside the
// alphabet is refused with Go's message).
absl::Status DecodeBase64(const YAML::Node& node, std::string_view path, std::string* out) {
  const std::string& text = node.Scalar();
  std::string clean;
  clean.reserve(text.size());
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' || c == '\n') continue;
    bool alphabet = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
    if ((alphabet && padding > 0) || (!alphabet && c != '=') || (c == '=' && ++padding > 2)) {
      return Error(node, path, absl::StrCat("illegal base64 data at input byte ", i));
    }
    clean.push_back(c);
  }
  if (clean.size() % 4 != 0 || !absl::Base64Unescape(clean, out)) {
    return Error(node, path, absl::StrCat("illegal base64 data at input byte ", text.size()));
  }
  return absl::OkStatus();
}

std::string Join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return absl::StrCat(std::string(path), ".", std::string(key));
}

const FieldDescriptor* FindJsonField(const Descriptor* d, std::string_view name) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->json_name() == name) return f;
  }
  return nullptr;
}

absl::Status DecodeMessage(const YAML::Node& node, Message* msg, const std::string& path);

// The options of the decode running on this thread (set by the public
// entry points that take DecodeOptions; strict otherwise).
thread_local const DecodeOptions* current_options = nullptr;

class ScopedOptions {
 public:
  explicit ScopedOptions(const DecodeOptions& options) : saved_(current_options) {
    current_options = &options;
  }
  ~ScopedOptions() { current_options = saved_; }

 private:
  const DecodeOptions* saved_;
};

// Whether an unknown field at `path` is dropped rather than an error.
bool AllowUnknown(const std::string& path) {
  if (current_options == nullptr || !current_options->allow_unknown_fields) return false;
  if (current_options->unknown_fields != nullptr) current_options->unknown_fields->push_back(path);
  return true;
}

// ---- special value types

absl::Status DecodeQuantity(const YAML::Node& node, Message* msg, const std::string& path) {
  if (!node.IsScalar()) return TypeError(node, path, "quantity");
  ScalarKind kind = KindOf(node);
  if (kind == ScalarKind::kBool) return TypeError(node, path, "quantity");
  absl::StatusOr<Quantity> q = Quantity::Parse(node.Scalar());
  if (!q.ok()) return Error(node, path, std::string(q.status().message()));
  const FieldDescriptor* value = msg->GetDescriptor()->FindFieldByName("value");
  msg->GetReflection()->SetString(msg, value, q->String());
  return absl::OkStatus();
}

absl::Status DecodeIntOrString(const YAML::Node& node, Message* msg, const std::string& path) {
  if (!node.IsScalar()) return TypeError(node, path, "int or string");
  const Descriptor* d = msg->GetDescriptor();
  const Reflection* r = msg->GetReflection();
  ScalarKind kind = KindOf(node);
  if (kind == ScalarKind::kInteger) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(IntegerText(node.Scalar()), &v) ||
        v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      return Error(node, path, absl::StrCat("value ", node.Scalar(), " is out of range for int32"));
    }
    r->SetInt32(msg, d->FindFieldByName("int_val"), static_cast<int32_t>(v));
    return absl::OkStatus();
  }
  if (kind != ScalarKind::kString) return TypeError(node, path, "int or string");
  if (!IsValidUtf8(node.Scalar())) return Error(node, path, "invalid UTF-8 in string");
  r->SetString(msg, d->FindFieldByName("str_val"), node.Scalar());
  return absl::OkStatus();
}

absl::Status DecodeTime(const YAML::Node& node, Message* msg, const std::string& path, bool micro) {
  if (!node.IsScalar() || KindOf(node) != ScalarKind::kString) {
    return TypeError(node, path, "RFC3339 time string");
  }
  absl::StatusOr<absl::Time> t = ParseRfc3339(node.Scalar());
  if (!t.ok()) return Error(node, path, std::string(t.status().message()));
  if (micro) {
    msg->CopyFrom(ToProtoMicroTime(*t));
  } else {
    msg->CopyFrom(ToProtoTime(*t));
  }
  return absl::OkStatus();
}

// ---- scalars

absl::Status DecodeInteger(const YAML::Node& node, const std::string& path, const char* type_name,
                           int64_t min, uint64_t max, int64_t* out_signed, uint64_t* out_unsigned) {
  if (!node.IsScalar() || KindOf(node) != ScalarKind::kInteger) {
    return TypeError(node, path, type_name);
  }
  const std::string text = IntegerText(node.Scalar());
  if (!text.empty() && text[0] == '-') {
    int64_t v;
    if (!absl::SimpleAtoi(text, &v) || v < min) {
      return Error(node, path,
                   absl::StrCat("value ", node.Scalar(), " is out of range for ", type_name));
    }
    *out_signed = v;
    *out_unsigned = 0;
    return absl::OkStatus();
  }
  uint64_t v;
  if (!absl::SimpleAtoi(text, &v) || v > max) {
    return Error(node, path,
                 absl::StrCat("value ", node.Scalar(), " is out of range for ", type_name));
  }
  *out_unsigned = v;
  *out_signed = static_cast<int64_t>(v);
  return absl::OkStatus();
}

// Decodes a scalar node into a singular field (repeated = false) or appends
// it to a repeated one.
absl::Status DecodeScalar(const YAML::Node& node, Message* msg, const FieldDescriptor* f,
                          const std::string& path, bool repeated) {
  const Reflection* r = msg->GetReflection();
  int64_t s = 0;
  uint64_t u = 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      RETURN_IF_ERROR(DecodeInteger(node, path, "int32", std::numeric_limits<int32_t>::min(),
                                    std::numeric_limits<int32_t>::max(), &s, &u));
      repeated ? r->AddInt32(msg, f, static_cast<int32_t>(s))
               : r->SetInt32(msg, f, static_cast<int32_t>(s));
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_INT64:
      RETURN_IF_ERROR(DecodeInteger(node, path, "int64", std::numeric_limits<int64_t>::min(),
                                    std::numeric_limits<int64_t>::max(), &s, &u));
      repeated ? r->AddInt64(msg, f, s) : r->SetInt64(msg, f, s);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_UINT32:
      RETURN_IF_ERROR(
          DecodeInteger(node, path, "uint32", 0, std::numeric_limits<uint32_t>::max(), &s, &u));
      repeated ? r->AddUInt32(msg, f, static_cast<uint32_t>(u))
               : r->SetUInt32(msg, f, static_cast<uint32_t>(u));
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_UINT64:
      RETURN_IF_ERROR(
          DecodeInteger(node, path, "uint64", 0, std::numeric_limits<uint64_t>::max(), &s, &u));
      repeated ? r->AddUInt64(msg, f, u) : r->SetUInt64(msg, f, u);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      ScalarKind kind = node.IsScalar() ? KindOf(node) : ScalarKind::kNull;
      double v;
      if ((kind != ScalarKind::kInteger && kind != ScalarKind::kFloat) ||
          !absl::SimpleAtod(
              kind == ScalarKind::kInteger ? IntegerText(node.Scalar()) : node.Scalar(), &v)) {
        return TypeError(node, path, "number");
      }
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        repeated ? r->AddDouble(msg, f, v) : r->SetDouble(msg, f, v);
      } else {
        repeated ? r->AddFloat(msg, f, static_cast<float>(v))
                 : r->SetFloat(msg, f, static_cast<float>(v));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      if (!node.IsScalar() || KindOf(node) != ScalarKind::kBool) {
        return TypeError(node, path, "boolean (true or false)");
      }
      const std::string& text = node.Scalar();
      if (text != "true" && text != "false") {
        return Error(node, path, absl::StrCat("expected boolean (true or false), got ", text));
      }
      repeated ? r->AddBool(msg, f, text == "true") : r->SetBool(msg, f, text == "true");
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      if (!node.IsScalar() || KindOf(node) != ScalarKind::kString) {
        return TypeError(node, path, "string");
      }
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        std::string bytes;
        RETURN_IF_ERROR(DecodeBase64(node, path, &bytes));
        repeated ? r->AddString(msg, f, std::move(bytes)) : r->SetString(msg, f, std::move(bytes));
        return absl::OkStatus();
      }
      if (!IsValidUtf8(node.Scalar())) return Error(node, path, "invalid UTF-8 in string");
      repeated ? r->AddString(msg, f, node.Scalar()) : r->SetString(msg, f, node.Scalar());
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      if (!node.IsScalar() || KindOf(node) != ScalarKind::kString) {
        return TypeError(node, path, "string");
      }
      const auto* value = f->enum_type()->FindValueByName(node.Scalar());
      if (value == nullptr) {
        return Error(node, path, absl::StrCat("unsupported value ", JsonQuote(node.Scalar())));
      }
      repeated ? r->AddEnum(msg, f, value) : r->SetEnum(msg, f, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return Error(node, path, "internal error: not a scalar field");
}

// The longest map key, quoted as JSON, that is accepted (see DecodeMapField).
constexpr size_t kMaxJsonKeyBytes = 1000;

absl::Status DecodeMapField(const YAML::Node& node, Message* msg, const FieldDescriptor* f,
                            const std::string& path) {
  if (!node.IsMap()) return TypeError(node, path, "object");
  const Descriptor* entry_type = f->message_type();
  const FieldDescriptor* key_field = entry_type->map_key();
  const FieldDescriptor* value_field = entry_type->map_value();
  if (key_field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return Error(node, path, "internal error: only string map keys are supported");
  }
  const Reflection* r = msg->GetReflection();
  absl::flat_hash_set<std::string> seen;
  for (const auto& kv : node) {
    const YAML::Node& key = kv.first;
    if (!key.IsScalar()) return TypeError(key, path, "string key");
    const std::string& name = key.Scalar();
    std::string child = Join(path, name);
    if (!seen.insert(name).second) {
      return Error(key, "", absl::StrCat("duplicate field ", JsonQuote(child)));
    }
    if (!IsValidUtf8(name)) return Error(key, child, "invalid UTF-8 in key");
    // yaml-cpp reads a JSON object key only up to YAML's 1024-character
    // limit on implicit keys, so a key that would not read back once
    // written as JSON (control characters take 6 each) is refused now
    // rather than after it is stored. Kubernetes' longest keys (qualified
    // names, 317 characters) are far below.
    if (JsonQuote(name).size() > kMaxJsonKeyBytes) {
      return Error(key, child,
                   absl::StrCat("key longer than ", kMaxJsonKeyBytes,
                                " bytes when written as a JSON string"));
    }
    Message* entry = r->AddMessage(msg, f);
    entry->GetReflection()->SetString(entry, key_field, name);
    const YAML::Node& value = kv.second;
    if (value_field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      Message* v = entry->GetReflection()->MutableMessage(entry, value_field);
      if (!value.IsNull()) {
        RETURN_IF_ERROR(DecodeMessage(value, v, child));
      } else if (v->GetDescriptor()->full_name() == kQuantityType) {
        // `memory:` / `memory: null` in a resource list: Go's zero Quantity,
        // which prints as "0".
        v->GetReflection()->SetString(v, v->GetDescriptor()->FindFieldByName("value"), "0");
      }
    } else if (!value.IsNull()) {
      RETURN_IF_ERROR(DecodeScalar(value, entry, value_field, child, /*repeated=*/false));
    } else if (value_field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      // `key: null` / `key:` in a string map: the empty string, as in Go.
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeField(const YAML::Node& node, Message* msg, const FieldDescriptor* f,
                         const std::string& path) {
  const Reflection* r = msg->GetReflection();
  if (f->is_map()) {
    if (node.IsNull()) {
      r->ClearField(msg, f);
      return absl::OkStatus();
    }
    return DecodeMapField(node, msg, f, path);
  }
  if (f->is_repeated()) {
    if (node.IsNull()) {
      r->ClearField(msg, f);
      return absl::OkStatus();
    }
    if (!node.IsSequence()) return TypeError(node, path, "array");
    r->ClearField(msg, f);
    for (size_t i = 0; i < node.size(); ++i) {
      std::string child = absl::StrCat(path, "[", i, "]");
      const YAML::Node& item = node[i];
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        Message* sub = r->AddMessage(msg, f);
        if (!item.IsNull()) RETURN_IF_ERROR(DecodeMessage(item, sub, child));
      } else {
        RETURN_IF_ERROR(DecodeScalar(item, msg, f, child, /*repeated=*/true));
      }
    }
    return absl::OkStatus();
  }
  if (node.IsNull()) {
    r->ClearField(msg, f);
    return absl::OkStatus();
  }
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return DecodeMessage(node, r->MutableMessage(msg, f), path);
  }
  return DecodeScalar(node, msg, f, path, /*repeated=*/false);
}

absl::Status DecodeMessage(const YAML::Node& node, Message* msg, const std::string& path) {
  const Descriptor* d = msg->GetDescriptor();
  const std::string& type = d->full_name();
  if (type == kQuantityType) return DecodeQuantity(node, msg, path);
  if (type == kIntOrStringType) return DecodeIntOrString(node, msg, path);
  if (type == kTimeType) return DecodeTime(node, msg, path, /*micro=*/false);
  if (type == kMicroTimeType) return DecodeTime(node, msg, path, /*micro=*/true);
  if (type == kExtraValueType) return DecodeField(node, msg, d->FindFieldByName("items"), path);
  if (!node.IsMap()) return TypeError(node, path, "object");
  absl::flat_hash_set<std::string> seen;
  for (const auto& kv : node) {
    const YAML::Node& key = kv.first;
    if (!key.IsScalar()) return TypeError(key, path, "field name");
    const std::string& name = key.Scalar();
    std::string child = Join(path, name);
    if (!seen.insert(name).second) {
      return Error(key, "", absl::StrCat("duplicate field ", JsonQuote(child)));
    }
    const FieldDescriptor* f = FindJsonField(d, name);
    if (f == nullptr) {
      if (!AllowUnknown(child)) {
        return Error(key, "", absl::StrCat("unknown field ", JsonQuote(child)));
      }
      continue;
    }
    RETURN_IF_ERROR(DecodeField(kv.second, msg, f, child));
  }
  return absl::OkStatus();
}

// ---- documents

// Bounded in depth, size and alias expansion (api/yaml_limits.h).
absl::StatusOr<std::vector<YAML::Node>> LoadDocuments(std::string_view text) {
  return LoadAllLimited(absl::string_view(text.data(), text.size()));
}

// Finds a top-level string field such as apiVersion or kind. Returns an
// undefined node when absent.
absl::StatusOr<YAML::Node> TypeField(const YAML::Node& doc, std::string_view name) {
  for (const auto& kv : doc) {
    if (kv.first.IsScalar() && kv.first.Scalar() == name) {
      const YAML::Node& value = kv.second;
      if (value.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
      if (!value.IsScalar() || KindOf(value) != ScalarKind::kString) {
        return TypeError(value, name, "string");
      }
      return value;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

struct TypeMeta {
  YAML::Node api_version;  // undefined when absent
  YAML::Node kind;
};

absl::StatusOr<TypeMeta> ReadTypeMeta(const YAML::Node& doc) {
  TypeMeta tm;
  ASSIGN_OR_RETURN(tm.api_version, TypeField(doc, "apiVersion"));
  ASSIGN_OR_RETURN(tm.kind, TypeField(doc, "kind"));
  return tm;
}

absl::Status DecodeDocument(const YAML::Node& doc, const Scheme& scheme,
                            std::vector<DecodedObject>* out, std::string_view path) {
  if (!doc.IsMap()) return TypeError(doc, path, "an object with apiVersion and kind");
  ASSIGN_OR_RETURN(TypeMeta tm, ReadTypeMeta(doc));
  bool has_version = tm.api_version.IsDefined() && !tm.api_version.Scalar().empty();
  bool has_kind = tm.kind.IsDefined() && !tm.kind.Scalar().empty();
  if (!has_version && !has_kind) return Error(doc, path, "apiVersion and kind not set");
  if (!has_version) return Error(doc, path, "apiVersion not set");
  if (!has_kind) return Error(doc, path, "kind not set");
  const std::string& api_version = tm.api_version.Scalar();
  const std::string& kind = tm.kind.Scalar();

  if (api_version == "v1" && kind == "List") {
    for (const auto& kv : doc) {
      const std::string& key = kv.first.Scalar();
      if (key == "apiVersion" || key == "kind" || key == "metadata") continue;
      if (key != "items") {
        if (AllowUnknown(Join(path, key))) continue;
        return Error(kv.first, "", absl::StrCat("unknown field ", JsonQuote(Join(path, key))));
      }
      const YAML::Node& items = kv.second;
      if (items.IsNull()) continue;
      if (!items.IsSequence()) return TypeError(items, Join(path, "items"), "array");
      for (size_t i = 0; i < items.size(); ++i) {
        RETURN_IF_ERROR(
            DecodeDocument(items[i], scheme, out, absl::StrCat(Join(path, "items"), "[", i, "]")));
      }
    }
    return absl::OkStatus();
  }

  DecodedObject decoded;
  decoded.kind = scheme.FindByKind(api_version, kind);
  if (decoded.kind != nullptr) {
    decoded.object = decoded.kind->New();
  } else if ((decoded.kind = scheme.FindByListKind(api_version, kind)) != nullptr) {
    decoded.is_list = true;
    decoded.object = decoded.kind->NewList();
  } else {
    return Error(tm.kind, "",
                 absl::StrCat("no matches for kind ", JsonQuote(kind), " in version ",
                              JsonQuote(api_version)));
  }
  RETURN_IF_ERROR(DecodeMessage(doc, decoded.object.get(), std::string(path)));
  out->push_back(std::move(decoded));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<DecodedObject>> DecodeAllImpl(std::string_view text,
                                                         const Scheme& scheme) {
  ASSIGN_OR_RETURN(std::vector<YAML::Node> docs, LoadDocuments(text));
  std::vector<DecodedObject> out;
  for (const YAML::Node& doc : docs) {
    if (!doc.IsDefined() || doc.IsNull()) continue;
    RETURN_IF_ERROR(DecodeDocument(doc, scheme, &out, ""));
  }
  return out;
}

absl::Status DecodeIntoImpl(std::string_view text, Message* out, const Scheme& scheme) {
  ASSIGN_OR_RETURN(std::vector<YAML::Node> docs, LoadDocuments(text));
  const YAML::Node* doc = nullptr;
  int count = 0;
  for (const YAML::Node& d : docs) {
    if (!d.IsDefined() || d.IsNull()) continue;
    if (++count == 1) doc = &d;
  }
  if (count == 0) return absl::InvalidArgumentError("no object found in input");
  if (count > 1) {
    return absl::InvalidArgumentError(absl::StrCat("expected one object, found ", count));
  }
  if (!doc->IsMap()) return TypeError(*doc, "", "object");
  const Descriptor* d = out->GetDescriptor();
  std::string want_version, want_kind;
  if (const KindInfo* info = scheme.FindByDescriptor(d)) {
    want_version = info->api_version;
    want_kind = info->kind;
  } else if (const KindInfo* list = scheme.FindByListDescriptor(d)) {
    want_version = list->api_version;
    want_kind = list->list_kind;
  }
  if (!want_kind.empty()) {
    ASSIGN_OR_RETURN(TypeMeta tm, ReadTypeMeta(*doc));
    if (tm.api_version.IsDefined() && !tm.api_version.Scalar().empty() &&
        tm.api_version.Scalar() != want_version) {
      return Error(tm.api_version, "apiVersion",
                   absl::StrCat("expected ", JsonQuote(want_version), ", got ",
                                JsonQuote(tm.api_version.Scalar())));
    }
    if (tm.kind.IsDefined() && !tm.kind.Scalar().empty() && tm.kind.Scalar() != want_kind) {
      return Error(
          tm.kind, "kind",
          absl::StrCat("expected ", JsonQuote(want_kind), ", got ", JsonQuote(tm.kind.Scalar())));
    }
  }
  out->Clear();
  return DecodeMessage(*doc, out, "");
}

}  // namespace

absl::StatusOr<std::vector<DecodedObject>> DecodeAll(std::string_view text, const Scheme& scheme) {
  try {
    return DecodeAllImpl(text, scheme);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("decode: ", e.what()));
  }
}

absl::StatusOr<DecodedObject> Decode(std::string_view text, const Scheme& scheme) {
  ASSIGN_OR_RETURN(std::vector<DecodedObject> all, DecodeAll(text, scheme));
  if (all.empty()) return absl::InvalidArgumentError("no object found in input");
  if (all.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat("expected one object, found ", all.size()));
  }
  return std::move(all[0]);
}

absl::Status DecodeInto(std::string_view text, Message* out, const Scheme& scheme) {
  try {
    return DecodeIntoImpl(text, out, scheme);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("decode: ", e.what()));
  }
}

absl::StatusOr<DecodedObject> Decode(std::string_view text, const DecodeOptions& options,
                                     const Scheme& scheme) {
  ScopedOptions scoped(options);
  return Decode(text, scheme);
}

absl::Status DecodeInto(std::string_view text, Message* out, const DecodeOptions& options,
                        const Scheme& scheme) {
  ScopedOptions scoped(options);
  return DecodeInto(text, out, scheme);
}

absl::Status DecodeNode(const YAML::Node& node, Message* out, const DecodeOptions& options,
                        std::string_view path) {
  ScopedOptions scoped(options);
  return DecodeNode(node, out, path);
}

absl::Status DecodeNode(const YAML::Node& node, Message* out, std::string_view path) {
  try {
    if (!node.IsDefined() || node.IsNull()) return absl::OkStatus();
    return DecodeMessage(node, out, std::string(path));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("decode: ", e.what()));
  }
}

}  // namespace minik8s::api
