#include "api/k8s_protobuf.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "api/k8s_protobuf_layout.h"
#include "api/quantity.h"
#include "api/yaml_scalar.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace minik8s::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }
bool ValidUtf8(absl::string_view s) { return IsValidUtf8(std::string_view(s.data(), s.size())); }

const absl::string_view kMagic = AbslView(kK8sProtobufMagic);
const absl::string_view kProtobufType = AbslView(kK8sProtobufContentType);

enum WireType : int { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

// Our schema nests only a few levels; the bound guards schemes with
// recursive message types.
constexpr int kMaxDepth = 64;

// The value types whose Kubernetes encoding is not field-for-field ours.
enum class Special { kNone, kIntOrString, kTime, kMicroTime, kQuantity };

Special SpecialOf(const Descriptor* descriptor) {
  if (descriptor->file()->package() != "minik8s.meta.v1") return Special::kNone;
  const std::string& name = descriptor->name();
  if (name == "IntOrString") return Special::kIntOrString;
  if (name == "Time") return Special::kTime;
  if (name == "MicroTime") return Special::kMicroTime;
  if (name == "Quantity") return Special::kQuantity;
  return Special::kNone;
}

// ---------------------------------------------------------------- writing

void PutVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

void PutTag(int field, int wire_type, std::string* out) {
  PutVarint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type), out);
}

void PutLen(int field, absl::string_view bytes, std::string* out) {
  PutTag(field, kLen, out);
  PutVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

void PutFixed32(uint32_t value, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

void PutFixed64(uint64_t value, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

void WriteMessage(const Message& message, std::string* out);

// Writes one value of `field` (element `index` when repeated) under the
// Kubernetes field number `number`.
void WriteValue(const Message& message, const FieldDescriptor* field, int index, int number,
                std::string* out) {
  const Reflection* r = message.GetReflection();
  const bool rep = field->is_repeated();
  switch (field->type()) {
    case FieldDescriptor::TYPE_INT32: {
      int32_t v = rep ? r->GetRepeatedInt32(message, field, index) : r->GetInt32(message, field);
      PutTag(number, kVarint, out);
      PutVarint(static_cast<uint64_t>(static_cast<int64_t>(v)), out);  // sign-extended
      return;
    }
    case FieldDescriptor::TYPE_INT64: {
      int64_t v = rep ? r->GetRepeatedInt64(message, field, index) : r->GetInt64(message, field);
      PutTag(number, kVarint, out);
      PutVarint(static_cast<uint64_t>(v), out);
      return;
    }
    case FieldDescriptor::TYPE_UINT32: {
      uint32_t v = rep ? r->GetRepeatedUInt32(message, field, index) : r->GetUInt32(message, field);
      PutTag(number, kVarint, out);
      PutVarint(v, out);
      return;
    }
    case FieldDescriptor::TYPE_UINT64: {
      uint64_t v = rep ? r->GetRepeatedUInt64(message, field, index) : r->GetUInt64(message, field);
      PutTag(number, kVarint, out);
      PutVarint(v, out);
      return;
    }
    case FieldDescriptor::TYPE_SINT32: {
      int32_t v = rep ? r->GetRepeatedInt32(message, field, index) : r->GetInt32(message, field);
      PutTag(number, kVarint, out);
      PutVarint((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31), out);
      return;
    }
    case FieldDescriptor::TYPE_SINT64: {
      int64_t v = rep ? r->GetRepeatedInt64(message, field, index) : r->GetInt64(message, field);
      PutTag(number, kVarint, out);
      PutVarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63), out);
      return;
    }
    case FieldDescriptor::TYPE_BOOL: {
      bool v = rep ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field);
      PutTag(number, kVarint, out);
      PutVarint(v ? 1 : 0, out);
      return;
    }
    case FieldDescriptor::TYPE_ENUM: {
      int v =
          rep ? r->GetRepeatedEnumValue(message, field, index) : r->GetEnumValue(message, field);
      PutTag(number, kVarint, out);
      PutVarint(static_cast<uint64_t>(static_cast<int64_t>(v)), out);
      return;
    }
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32: {
      uint32_t v =
          field->type() == FieldDescriptor::TYPE_FIXED32
              ? (rep ? r->GetRepeatedUInt32(message, field, index) : r->GetUInt32(message, field))
              : static_cast<uint32_t>(rep ? r->GetRepeatedInt32(message, field, index)
                                          : r->GetInt32(message, field));
      PutTag(number, kFixed32, out);
      PutFixed32(v, out);
      return;
    }
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64: {
      uint64_t v =
          field->type() == FieldDescriptor::TYPE_FIXED64
              ? (rep ? r->GetRepeatedUInt64(message, field, index) : r->GetUInt64(message, field))
              : static_cast<uint64_t>(rep ? r->GetRepeatedInt64(message, field, index)
                                          : r->GetInt64(message, field));
      PutTag(number, kFixed64, out);
      PutFixed64(v, out);
      return;
    }
    case FieldDescriptor::TYPE_FLOAT: {
      float v = rep ? r->GetRepeatedFloat(message, field, index) : r->GetFloat(message, field);
      uint32_t bits;
      std::memcpy(&bits, &v, sizeof(bits));
      PutTag(number, kFixed32, out);
      PutFixed32(bits, out);
      return;
    }
    case FieldDescriptor::TYPE_DOUBLE: {
      double v = rep ? r->GetRepeatedDouble(message, field, index) : r->GetDouble(message, field);
      uint64_t bits;
      std::memcpy(&bits, &v, sizeof(bits));
      PutTag(number, kFixed64, out);
      PutFixed64(bits, out);
      return;
    }
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES: {
      std::string scratch;
      const std::string& v = rep ? r->GetRepeatedStringReference(message, field, index, &scratch)
                                 : r->GetStringReference(message, field, &scratch);
      PutLen(number, v, out);
      return;
    }
    case FieldDescriptor::TYPE_MESSAGE: {
      const Message& sub =
          rep ? r->GetRepeatedMessage(message, field, index) : r->GetMessage(message, field);
      std::string nested;
      WriteMessage(sub, &nested);
      PutLen(number, nested, out);
      return;
    }
    case FieldDescriptor::TYPE_GROUP:
      return;  // proto2 groups do not occur in our (proto3) schema
  }
}

// A map's key for ordering entries (Kubernetes' encoder sorts map keys).
struct MapKey {
  std::string text;
  int64_t number = 0;
  bool operator<(const MapKey& other) const {
    return text != other.text ? text < other.text : number < other.number;
  }
};

MapKey KeyOf(const Message& entry) {
  const FieldDescriptor* key = entry.GetDescriptor()->map_key();
  const Reflection* r = entry.GetReflection();
  MapKey out;
  switch (key->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      out.text = r->GetString(entry, key);
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      out.number = r->GetInt32(entry, key);
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      out.number = r->GetInt64(entry, key);
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      out.number = r->GetUInt32(entry, key);
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      out.number = static_cast<int64_t>(r->GetUInt64(entry, key));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out.number = r->GetBool(entry, key) ? 1 : 0;
      break;
    default:
      break;
  }
  return out;
}

void WriteField(const Message& message, const FieldDescriptor* field, int number,
                std::string* out) {
  const Reflection* r = message.GetReflection();
  if (field->is_map()) {
    const int n = r->FieldSize(message, field);
    std::vector<std::pair<MapKey, int>> order;
    order.reserve(n);
    for (int i = 0; i < n; ++i)
      order.emplace_back(KeyOf(r->GetRepeatedMessage(message, field, i)), i);
    std::sort(order.begin(), order.end());
    for (const auto& [key, i] : order) WriteValue(message, field, i, number, out);
    return;
  }
  if (field->is_repeated()) {
    // Unpacked, as Kubernetes' proto2 encoder writes repeated scalars.
    const int n = r->FieldSize(message, field);
    for (int i = 0; i < n; ++i) WriteValue(message, field, i, number, out);
    return;
  }
  if (!r->HasField(message, field)) return;
  WriteValue(message, field, -1, number, out);
}

bool WriteSpecial(const Message& message, Special special, std::string* out) {
  const Descriptor* d = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  switch (special) {
    case Special::kIntOrString: {
      const FieldDescriptor* int_val = d->FindFieldByName("int_val");
      const FieldDescriptor* str_val = d->FindFieldByName("str_val");
      if (int_val == nullptr || str_val == nullptr) return false;
      // All three fields, as Kubernetes writes its non-pointer struct.
      const bool is_string = r->HasField(message, str_val);
      PutTag(1, kVarint, out);
      PutVarint(is_string ? 1 : 0, out);
      PutTag(2, kVarint, out);
      PutVarint(is_string
                    ? 0
                    : static_cast<uint64_t>(static_cast<int64_t>(r->GetInt32(message, int_val))),
                out);
      PutLen(3, is_string ? r->GetString(message, str_val) : std::string(), out);
      return true;
    }
    case Special::kTime:
    case Special::kMicroTime: {
      const FieldDescriptor* seconds = d->FindFieldByName("seconds");
      const FieldDescriptor* nanos = d->FindFieldByName("nanos");
      if (seconds == nullptr || nanos == nullptr) return false;
      // Both fields always: an empty Time message is Kubernetes' zero time.
      PutTag(1, kVarint, out);
      PutVarint(static_cast<uint64_t>(r->GetInt64(message, seconds)), out);
      PutTag(2, kVarint, out);
      PutVarint(static_cast<uint64_t>(static_cast<int64_t>(r->GetInt32(message, nanos))), out);
      return true;
    }
    case Special::kQuantity: {
      const FieldDescriptor* value = d->FindFieldByName("value");
      if (value == nullptr) return false;
      // Kubernetes parses the string and refuses an empty one; ours means 0.
      std::string text = r->GetString(message, value);
      PutLen(1, text.empty() ? "0" : text, out);
      return true;
    }
    case Special::kNone:
      return false;
  }
  return false;
}

// A nested Kubernetes message assembled from several of our fields.
struct Group {
  std::map<int, std::string> fields;  // Kubernetes number → tagged bytes
  std::map<int, std::unique_ptr<Group>> groups;
};

void FlushGroup(const Group& group, std::string* out) {
  auto f = group.fields.begin();
  auto g = group.groups.begin();
  while (f != group.fields.end() || g != group.groups.end()) {
    if (g == group.groups.end() || (f != group.fields.end() && f->first < g->first)) {
      out->append(f->second);
      ++f;
    } else {
      std::string nested;
      FlushGroup(*g->second, &nested);
      PutLen(g->first, nested, out);
      ++g;
    }
  }
}

void WriteMessage(const Message& message, std::string* out) {
  const Descriptor* d = message.GetDescriptor();
  Special special = SpecialOf(d);
  if (special != Special::kNone && WriteSpecial(message, special, out)) return;
  const K8sLayout& layout = K8sLayoutFor(d);
  Group root;
  for (const K8sFieldPlacement& placement : layout.placements) {
    if (placement.path.empty()) continue;
    std::string bytes;
    WriteField(message, placement.field, placement.path.back(), &bytes);
    if (bytes.empty()) continue;
    Group* group = &root;
    for (size_t i = 0; i + 1 < placement.path.size(); ++i) {
      std::unique_ptr<Group>& child = group->groups[placement.path[i]];
      if (child == nullptr) child = std::make_unique<Group>();
      group = child.get();
    }
    group->fields[placement.path.back()].append(bytes);
  }
  FlushGroup(root, out);
}

// ---------------------------------------------------------------- reading

// Reads protobuf wire data from a buffer. Every length is checked against
// the bytes actually left, so nothing is allocated from a length field alone.
class WireReader {
 public:
  explicit WireReader(absl::string_view data) : data_(data) {}

  bool AtEnd() const { return pos_ >= data_.size(); }
  size_t left() const { return data_.size() - pos_; }

  absl::Status ReadVarint(uint64_t* value) {
    uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos_ >= data_.size()) return absl::InvalidArgumentError("truncated varint");
      const uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
      if (shift < 64) result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *value = result;
        return absl::OkStatus();
      }
    }
    return absl::InvalidArgumentError("varint longer than 10 bytes");
  }

  absl::Status ReadTag(int* field, int* wire_type) {
    uint64_t tag;
    RETURN_IF_ERROR(ReadVarint(&tag));
    const uint64_t number = tag >> 3;
    if (number == 0 || number > 0x1fffffff) {
      return absl::InvalidArgumentError(absl::StrCat("invalid field number ", number));
    }
    *field = static_cast<int>(number);
    *wire_type = static_cast<int>(tag & 7);
    if (*wire_type == 3 || *wire_type == 4) {
      return absl::InvalidArgumentError(absl::StrCat("field ", number, ": groups (wire type ",
                                                     *wire_type, ") are not supported"));
    }
    if (*wire_type > 5) {
      return absl::InvalidArgumentError(
          absl::StrCat("field ", number, ": invalid wire type ", *wire_type));
    }
    return absl::OkStatus();
  }

  absl::Status ReadFixed32(uint32_t* value) {
    if (left() < 4) return absl::InvalidArgumentError("truncated fixed32");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= static_cast<uint32_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    pos_ += 4;
    *value = v;
    return absl::OkStatus();
  }

  absl::Status ReadFixed64(uint64_t* value) {
    if (left() < 8) return absl::InvalidArgumentError("truncated fixed64");
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    pos_ += 8;
    *value = v;
    return absl::OkStatus();
  }

  absl::Status ReadBytes(absl::string_view* bytes) {
    uint64_t length;
    RETURN_IF_ERROR(ReadVarint(&length));
    if (length > left()) {
      return absl::InvalidArgumentError(
          absl::StrCat("length ", length, " exceeds the ", left(), " bytes left"));
    }
    *bytes = data_.substr(pos_, static_cast<size_t>(length));
    pos_ += static_cast<size_t>(length);
    return absl::OkStatus();
  }

  absl::Status Skip(int wire_type) {
    switch (wire_type) {
      case kVarint: {
        uint64_t ignored;
        return ReadVarint(&ignored);
      }
      case kFixed64: {
        uint64_t ignored;
        return ReadFixed64(&ignored);
      }
      case kLen: {
        absl::string_view ignored;
        return ReadBytes(&ignored);
      }
      case kFixed32: {
        uint32_t ignored;
        return ReadFixed32(&ignored);
      }
      default:
        return absl::InvalidArgumentError(absl::StrCat("invalid wire type ", wire_type));
    }
  }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
};

int ExpectedWireType(const FieldDescriptor* field) {
  switch (field->type()) {
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
    case FieldDescriptor::TYPE_FLOAT:
      return kFixed32;
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64:
    case FieldDescriptor::TYPE_DOUBLE:
      return kFixed64;
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
    case FieldDescriptor::TYPE_MESSAGE:
    case FieldDescriptor::TYPE_GROUP:
      return kLen;
    default:
      return kVarint;
  }
}

// Parses Kubernetes-layout bytes into our messages. Errors name the path of
// the field being read (`spec.template.spec.containers[0].image`).
class Parser {
 public:
  absl::Status ParseMessage(absl::string_view bytes, Message* message, int depth) {
    if (depth > kMaxDepth) return Error(absl::StrCat("nesting deeper than ", kMaxDepth, " levels"));
    const Descriptor* d = message->GetDescriptor();
    switch (SpecialOf(d)) {
      case Special::kIntOrString:
        return ParseIntOrString(bytes, message);
      case Special::kTime:
        return ParseTime(bytes, message, /*micro=*/false);
      case Special::kMicroTime:
        return ParseTime(bytes, message, /*micro=*/true);
      case Special::kQuantity:
        return ParseQuantity(bytes, message);
      case Special::kNone:
        break;
    }
    WireReader reader(bytes);
    return ParseNode(reader, message, K8sLayoutFor(d).root, depth);
  }

 private:
  struct PathElement {
    const FieldDescriptor* field;
    int index;  // -1 when singular
  };

  absl::Status Error(absl::string_view detail) const {
    std::string path;
    for (const PathElement& e : path_) {
      if (!path.empty()) path += ".";
      path += e.field->json_name();
      if (e.index >= 0) absl::StrAppend(&path, "[", e.index, "]");
    }
    return absl::InvalidArgumentError(
        absl::StrCat("protobuf: ", path, path.empty() ? "" : ": ", detail));
  }

  absl::Status Wrap(const absl::Status& status) const {
    if (status.ok()) return status;
    return Error(status.message());
  }

  absl::Status WireTypeError(const FieldDescriptor* field, int wire_type) const {
    return Error(absl::StrCat("wire type ", wire_type, " does not match the field's type ",
                              field->type_name(), " (field ", field->number(), ")"));
  }

  absl::Status ParseNode(WireReader& reader, Message* message, const K8sLayoutNode& node,
                         int depth) {
    while (!reader.AtEnd()) {
      int number, wire_type;
      RETURN_IF_ERROR(Wrap(reader.ReadTag(&number, &wire_type)));
      if (auto group = node.groups.find(number); group != node.groups.end()) {
        if (wire_type != kLen) {
          return Error(absl::StrCat("field ", number, ": wire type ", wire_type,
                                    " where a nested message is expected"));
        }
        absl::string_view nested;
        RETURN_IF_ERROR(Wrap(reader.ReadBytes(&nested)));
        if (depth + 1 > kMaxDepth) return Error("nesting too deep");
        WireReader nested_reader(nested);
        RETURN_IF_ERROR(ParseNode(nested_reader, message, *group->second, depth + 1));
        continue;
      }
      auto it = node.fields.find(number);
      if (it == node.fields.end()) {
        // A Kubernetes field we do not model.
        RETURN_IF_ERROR(Wrap(reader.Skip(wire_type)));
        continue;
      }
      const K8sFieldPlacement& placement = *it->second;
      const FieldDescriptor* field = placement.field;
      path_.push_back({field, -1});
      absl::Status status = ParseField(reader, wire_type, placement, message, depth);
      path_.pop_back();
      RETURN_IF_ERROR(status);
    }
    return absl::OkStatus();
  }

  absl::Status ParseField(WireReader& reader, int wire_type, const K8sFieldPlacement& placement,
                          Message* message, int depth) {
    const FieldDescriptor* field = placement.field;
    const Reflection* r = message->GetReflection();
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (wire_type != kLen) return WireTypeError(field, wire_type);
      absl::string_view bytes;
      RETURN_IF_ERROR(Wrap(reader.ReadBytes(&bytes)));
      if (field->is_repeated()) {  // also map entries
        path_.back().index = field->is_map() ? -1 : r->FieldSize(*message, field);
        return ParseMessage(bytes, r->AddMessage(message, field), depth + 1);
      }
      Special special = SpecialOf(field->message_type());
      if ((special == Special::kTime || special == Special::kMicroTime) && bytes.empty()) {
        // Kubernetes' zero time (e.g. an unset creationTimestamp).
        r->ClearField(message, field);
        return absl::OkStatus();
      }
      return ParseMessage(bytes, r->MutableMessage(message, field), depth + 1);
    }
    const int expected = ExpectedWireType(field);
    if (field->is_repeated() && wire_type == kLen && expected != kLen) {
      absl::string_view packed;
      RETURN_IF_ERROR(Wrap(reader.ReadBytes(&packed)));
      WireReader packed_reader(packed);
      while (!packed_reader.AtEnd()) {
        RETURN_IF_ERROR(ParseScalar(packed_reader, placement, message));
      }
      return absl::OkStatus();
    }
    if (wire_type != expected) return WireTypeError(field, wire_type);
    return ParseScalar(reader, placement, message);
  }

  absl::Status ParseScalar(WireReader& reader, const K8sFieldPlacement& placement,
                           Message* message) {
    const FieldDescriptor* field = placement.field;
    const Reflection* r = message->GetReflection();
    const bool rep = field->is_repeated();
    const bool skip_zero = placement.zero_is_unset && !rep;
    switch (ExpectedWireType(field)) {
      case kVarint: {
        uint64_t raw;
        RETURN_IF_ERROR(Wrap(reader.ReadVarint(&raw)));
        if (skip_zero && raw == 0) return absl::OkStatus();
        switch (field->type()) {
          case FieldDescriptor::TYPE_INT32: {
            const auto v = static_cast<int32_t>(raw);
            rep ? r->AddInt32(message, field, v) : r->SetInt32(message, field, v);
            break;
          }
          case FieldDescriptor::TYPE_SINT32: {
            const auto u = static_cast<uint32_t>(raw);
            const auto v = static_cast<int32_t>((u >> 1) ^ (~(u & 1) + 1));
            rep ? r->AddInt32(message, field, v) : r->SetInt32(message, field, v);
            break;
          }
          case FieldDescriptor::TYPE_INT64: {
            const auto v = static_cast<int64_t>(raw);
            rep ? r->AddInt64(message, field, v) : r->SetInt64(message, field, v);
            break;
          }
          case FieldDescriptor::TYPE_SINT64: {
            const auto v = static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
            rep ? r->AddInt64(message, field, v) : r->SetInt64(message, field, v);
            break;
          }
          case FieldDescriptor::TYPE_UINT32: {
            const auto v = static_cast<uint32_t>(raw);
            rep ? r->AddUInt32(message, field, v) : r->SetUInt32(message, field, v);
            break;
          }
          case FieldDescriptor::TYPE_UINT64:
            rep ? r->AddUInt64(message, field, raw) : r->SetUInt64(message, field, raw);
            break;
          case FieldDescriptor::TYPE_BOOL:
            rep ? r->AddBool(message, field, raw != 0) : r->SetBool(message, field, raw != 0);
            break;
          case FieldDescriptor::TYPE_ENUM: {
            const auto v = static_cast<int>(static_cast<int32_t>(raw));
            rep ? r->AddEnumValue(message, field, v) : r->SetEnumValue(message, field, v);
            break;
          }
          default:
            return Error("unsupported varint field type");
        }
        return absl::OkStatus();
      }
      case kFixed32: {
        uint32_t raw;
        RETURN_IF_ERROR(Wrap(reader.ReadFixed32(&raw)));
        if (skip_zero && raw == 0) return absl::OkStatus();
        if (field->type() == FieldDescriptor::TYPE_FLOAT) {
          float v;
          std::memcpy(&v, &raw, sizeof(v));
          rep ? r->AddFloat(message, field, v) : r->SetFloat(message, field, v);
        } else if (field->type() == FieldDescriptor::TYPE_FIXED32) {
          rep ? r->AddUInt32(message, field, raw) : r->SetUInt32(message, field, raw);
        } else {
          const auto v = static_cast<int32_t>(raw);
          rep ? r->AddInt32(message, field, v) : r->SetInt32(message, field, v);
        }
        return absl::OkStatus();
      }
      case kFixed64: {
        uint64_t raw;
        RETURN_IF_ERROR(Wrap(reader.ReadFixed64(&raw)));
        if (skip_zero && raw == 0) return absl::OkStatus();
        if (field->type() == FieldDescriptor::TYPE_DOUBLE) {
          double v;
          std::memcpy(&v, &raw, sizeof(v));
          rep ? r->AddDouble(message, field, v) : r->SetDouble(message, field, v);
        } else if (field->type() == FieldDescriptor::TYPE_FIXED64) {
          rep ? r->AddUInt64(message, field, raw) : r->SetUInt64(message, field, raw);
        } else {
          const auto v = static_cast<int64_t>(raw);
          rep ? r->AddInt64(message, field, v) : r->SetInt64(message, field, v);
        }
        return absl::OkStatus();
      }
      default: {
        absl::string_view bytes;
        RETURN_IF_ERROR(Wrap(reader.ReadBytes(&bytes)));
        if (field->type() == FieldDescriptor::TYPE_STRING && !ValidUtf8(bytes)) {
          return Error("invalid UTF-8 in string");
        }
        std::string value(bytes);
        rep ? r->AddString(message, field, std::move(value))
            : r->SetString(message, field, std::move(value));
        return absl::OkStatus();
      }
    }
  }

  absl::Status ReadString(WireReader& reader, int wire_type, std::string* out) {
    if (wire_type != kLen) return Error(absl::StrCat("wire type ", wire_type, " for a string"));
    absl::string_view bytes;
    RETURN_IF_ERROR(Wrap(reader.ReadBytes(&bytes)));
    if (!ValidUtf8(bytes)) return Error("invalid UTF-8 in string");
    out->assign(bytes.data(), bytes.size());
    return absl::OkStatus();
  }

  absl::Status ReadInt(WireReader& reader, int wire_type, int64_t* out) {
    if (wire_type != kVarint)
      return Error(absl::StrCat("wire type ", wire_type, " for an integer"));
    uint64_t raw;
    RETURN_IF_ERROR(Wrap(reader.ReadVarint(&raw)));
    *out = static_cast<int64_t>(raw);
    return absl::OkStatus();
  }

  // Kubernetes: {optional int64 type = 1; optional int32 intVal = 2;
  // optional string strVal = 3}, type 0 = int, 1 = string.
  absl::Status ParseIntOrString(absl::string_view bytes, Message* message) {
    const Descriptor* d = message->GetDescriptor();
    const Reflection* r = message->GetReflection();
    const FieldDescriptor* int_field = d->FindFieldByName("int_val");
    const FieldDescriptor* str_field = d->FindFieldByName("str_val");
    if (int_field == nullptr || str_field == nullptr)
      return Error("IntOrString without int_val/str_val");
    int64_t type = 0, int_val = 0;
    std::string str_val;
    WireReader reader(bytes);
    while (!reader.AtEnd()) {
      int number, wire_type;
      RETURN_IF_ERROR(Wrap(reader.ReadTag(&number, &wire_type)));
      if (number == 1) {
        RETURN_IF_ERROR(ReadInt(reader, wire_type, &type));
      } else if (number == 2) {
        RETURN_IF_ERROR(ReadInt(reader, wire_type, &int_val));
      } else if (number == 3) {
        RETURN_IF_ERROR(ReadString(reader, wire_type, &str_val));
      } else {
        RETURN_IF_ERROR(Wrap(reader.Skip(wire_type)));
      }
    }
    if (type == 0) {
      r->SetInt32(message, int_field, static_cast<int32_t>(int_val));
    } else if (type == 1) {
      r->SetString(message, str_field, std::move(str_val));
    } else {
      return Error(absl::StrCat("IntOrString type ", type, " is neither 0 (int) nor 1 (string)"));
    }
    return absl::OkStatus();
  }

  // Kubernetes' Timestamp: {optional int64 seconds = 1; optional int32
  // nanos = 2}. Truncated to seconds (Time) or microseconds (MicroTime).
  absl::Status ParseTime(absl::string_view bytes, Message* message, bool micro) {
    const Descriptor* d = message->GetDescriptor();
    const Reflection* r = message->GetReflection();
    const FieldDescriptor* seconds_field = d->FindFieldByName("seconds");
    const FieldDescriptor* nanos_field = d->FindFieldByName("nanos");
    if (seconds_field == nullptr || nanos_field == nullptr)
      return Error("Time without seconds/nanos");
    int64_t seconds = r->GetInt64(*message, seconds_field);
    int64_t nanos = r->GetInt32(*message, nanos_field);
    WireReader reader(bytes);
    while (!reader.AtEnd()) {
      int number, wire_type;
      RETURN_IF_ERROR(Wrap(reader.ReadTag(&number, &wire_type)));
      if (number == 1) {
        RETURN_IF_ERROR(ReadInt(reader, wire_type, &seconds));
      } else if (number == 2) {
        RETURN_IF_ERROR(ReadInt(reader, wire_type, &nanos));
        nanos = static_cast<int32_t>(nanos);
      } else {
        RETURN_IF_ERROR(Wrap(reader.Skip(wire_type)));
      }
    }
    if (nanos < 0 || nanos > 999'999'999) {
      return Error(absl::StrCat("nanos ", nanos, " is outside 0..999999999"));
    }
    nanos = micro ? nanos - nanos % 1000 : 0;
    r->SetInt64(message, seconds_field, seconds);
    r->SetInt32(message, nanos_field, static_cast<int32_t>(nanos));
    return absl::OkStatus();
  }

  // Kubernetes: {optional string string = 1}, the quantity's string form.
  absl::Status ParseQuantity(absl::string_view bytes, Message* message) {
    const FieldDescriptor* value_field = message->GetDescriptor()->FindFieldByName("value");
    if (value_field == nullptr) return Error("Quantity without value");
    std::string text;
    WireReader reader(bytes);
    while (!reader.AtEnd()) {
      int number, wire_type;
      RETURN_IF_ERROR(Wrap(reader.ReadTag(&number, &wire_type)));
      if (number == 1) {
        RETURN_IF_ERROR(ReadString(reader, wire_type, &text));
      } else {
        RETURN_IF_ERROR(Wrap(reader.Skip(wire_type)));
      }
    }
    minik8s::meta::v1::Quantity proto;
    proto.set_value(text);
    absl::StatusOr<Quantity> quantity = Quantity::FromProto(proto);
    if (!quantity.ok()) return Error(quantity.status().message());
    message->GetReflection()->SetString(message, value_field, quantity->String());
    return absl::OkStatus();
  }

  std::vector<PathElement> path_;
};

// ---------------------------------------------------------------- envelope

struct Envelope {
  bool has_type_meta = false;
  std::string api_version;
  std::string kind;
  absl::string_view raw;  // absent: an empty object, as in Kubernetes
  std::string content_encoding;
  std::string content_type;
};

absl::Status EnvelopeError(absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat("protobuf envelope: ", detail));
}

absl::Status ReadEnvelopeString(WireReader& reader, int wire_type, absl::string_view name,
                                std::string* out) {
  if (wire_type != kLen) {
    return EnvelopeError(absl::StrCat(name, ": wire type ", wire_type, " for a string"));
  }
  absl::string_view bytes;
  absl::Status status = reader.ReadBytes(&bytes);
  if (!status.ok()) return EnvelopeError(absl::StrCat(name, ": ", status.message()));
  if (!ValidUtf8(bytes)) return EnvelopeError(absl::StrCat(name, ": invalid UTF-8"));
  out->assign(bytes.data(), bytes.size());
  return absl::OkStatus();
}

absl::StatusOr<Envelope> ParseEnvelope(absl::string_view bytes) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError(
        "protobuf envelope: the body does not start with the \"k8s\\x00\" prefix of "
        "application/vnd.kubernetes.protobuf");
  }
  bytes.remove_prefix(kMagic.size());
  if (bytes.empty()) return EnvelopeError("empty body after the \"k8s\\x00\" prefix");
  Envelope envelope;
  WireReader reader(bytes);
  while (!reader.AtEnd()) {
    int number, wire_type;
    absl::Status status = reader.ReadTag(&number, &wire_type);
    if (!status.ok()) return EnvelopeError(status.message());
    switch (number) {
      case 1: {  // typeMeta
        if (wire_type != kLen) return EnvelopeError("typeMeta: not a message");
        absl::string_view type_meta;
        status = reader.ReadBytes(&type_meta);
        if (!status.ok()) return EnvelopeError(absl::StrCat("typeMeta: ", status.message()));
        envelope.has_type_meta = true;
        WireReader tm(type_meta);
        while (!tm.AtEnd()) {
          int n, wt;
          status = tm.ReadTag(&n, &wt);
          if (!status.ok()) return EnvelopeError(absl::StrCat("typeMeta: ", status.message()));
          if (n == 1) {
            RETURN_IF_ERROR(
                ReadEnvelopeString(tm, wt, "typeMeta.apiVersion", &envelope.api_version));
          } else if (n == 2) {
            RETURN_IF_ERROR(ReadEnvelopeString(tm, wt, "typeMeta.kind", &envelope.kind));
          } else {
            status = tm.Skip(wt);
            if (!status.ok()) return EnvelopeError(absl::StrCat("typeMeta: ", status.message()));
          }
        }
        break;
      }
      case 2:  // raw
        if (wire_type != kLen) return EnvelopeError("raw: not a byte string");
        status = reader.ReadBytes(&envelope.raw);
        if (!status.ok()) return EnvelopeError(absl::StrCat("raw: ", status.message()));
        break;
      case 3:
        RETURN_IF_ERROR(
            ReadEnvelopeString(reader, wire_type, "contentEncoding", &envelope.content_encoding));
        break;
      case 4:
        RETURN_IF_ERROR(
            ReadEnvelopeString(reader, wire_type, "contentType", &envelope.content_type));
        break;
      default:
        status = reader.Skip(wire_type);
        if (!status.ok()) return EnvelopeError(status.message());
    }
  }
  if (!envelope.content_encoding.empty()) {
    return EnvelopeError(absl::StrCat("contentEncoding \"", envelope.content_encoding,
                                      "\" is not supported (only none)"));
  }
  if (!envelope.content_type.empty() && envelope.content_type != kProtobufType) {
    return EnvelopeError(absl::StrCat("contentType \"", envelope.content_type,
                                      "\" is not supported (only ", kProtobufType, ")"));
  }
  return envelope;
}

// Status and DeleteOptions (meta/v1 types) are registered by Kubernetes in
// every group version; accept them under any group with the same version.
const KindInfo* FindMetaKind(const Scheme& scheme, absl::string_view api_version,
                             absl::string_view kind) {
  absl::string_view version = api_version;
  if (size_t slash = version.rfind('/'); slash != absl::string_view::npos) {
    version.remove_prefix(slash + 1);
  }
  for (const auto& info : scheme.kinds()) {
    if (info->kind == kind && info->version == version &&
        info->descriptor->file()->package() == "minik8s.meta.v1") {
      return info.get();
    }
  }
  return nullptr;
}

std::pair<std::string, std::string> TypeMetaOf(const Message& object, const Scheme& scheme) {
  const Descriptor* d = object.GetDescriptor();
  if (const KindInfo* info = scheme.FindByDescriptor(d)) return {info->api_version, info->kind};
  if (const KindInfo* info = scheme.FindByListDescriptor(d)) {
    return {info->api_version, info->list_kind};
  }
  std::pair<std::string, std::string> out;
  const FieldDescriptor* api_version = d->FindFieldByName("api_version");
  const FieldDescriptor* kind = d->FindFieldByName("kind");
  if (api_version != nullptr && api_version->type() == FieldDescriptor::TYPE_STRING &&
      !api_version->is_repeated()) {
    out.first = object.GetReflection()->GetString(object, api_version);
  }
  if (kind != nullptr && kind->type() == FieldDescriptor::TYPE_STRING && !kind->is_repeated()) {
    out.second = object.GetReflection()->GetString(object, kind);
  }
  return out;
}

}  // namespace

std::string SerializeK8sProtobufRaw(const Message& object) {
  std::string out;
  WriteMessage(object, &out);
  return out;
}

absl::Status ParseK8sProtobufRaw(std::string_view raw, Message* out) {
  Parser parser;
  return parser.ParseMessage(AbslView(raw), out, 0);
}

std::string EncodeK8sProtobuf(const Message& object, const Scheme& scheme) {
  auto [api_version, kind] = TypeMetaOf(object, scheme);
  std::string type_meta;
  PutLen(1, api_version, &type_meta);
  PutLen(2, kind, &type_meta);
  std::string raw = SerializeK8sProtobufRaw(object);
  std::string out(kK8sProtobufMagic);
  out.reserve(out.size() + type_meta.size() + raw.size() + 24);
  PutLen(1, type_meta, &out);
  PutLen(2, raw, &out);
  // contentEncoding and contentType, empty, written as Kubernetes does.
  PutLen(3, "", &out);
  PutLen(4, "", &out);
  return out;
}

absl::StatusOr<DecodedObject> DecodeK8sProtobuf(std::string_view bytes, const Scheme& scheme) {
  ASSIGN_OR_RETURN(Envelope envelope, ParseEnvelope(AbslView(bytes)));
  if (envelope.kind.empty()) return EnvelopeError("typeMeta names no kind");
  if (envelope.api_version.empty()) {
    return EnvelopeError(
        absl::StrCat("typeMeta names no apiVersion for kind \"", envelope.kind, "\""));
  }
  DecodedObject decoded;
  decoded.kind = scheme.FindByKind(envelope.api_version, envelope.kind);
  if (decoded.kind == nullptr) {
    decoded.kind = scheme.FindByListKind(envelope.api_version, envelope.kind);
    decoded.is_list = decoded.kind != nullptr;
  }
  if (decoded.kind == nullptr) {
    decoded.kind = FindMetaKind(scheme, envelope.api_version, envelope.kind);
  }
  if (decoded.kind == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("protobuf envelope: no kind \"", envelope.kind,
                                                   "\" is registered for apiVersion \"",
                                                   envelope.api_version, "\""));
  }
  decoded.object = decoded.is_list ? decoded.kind->NewList() : decoded.kind->New();
  if (decoded.object == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a message for kind ", envelope.kind));
  }
  RETURN_IF_ERROR(ParseK8sProtobufRaw(std::string_view(envelope.raw.data(), envelope.raw.size()),
                                      decoded.object.get()));
  (void)scheme.SetTypeMeta(decoded.object.get());
  return decoded;
}

absl::Status DecodeK8sProtobufInto(std::string_view bytes, Message* out, const Scheme& scheme) {
  ASSIGN_OR_RETURN(Envelope envelope, ParseEnvelope(AbslView(bytes)));
  const Descriptor* d = out->GetDescriptor();
  const KindInfo* info = scheme.FindByDescriptor(d);
  std::string expected_kind;
  if (info != nullptr) {
    expected_kind = info->kind;
  } else if ((info = scheme.FindByListDescriptor(d)) != nullptr) {
    expected_kind = info->list_kind;
  } else {
    expected_kind = d->name();
  }
  if (!envelope.kind.empty() || !envelope.api_version.empty()) {
    bool version_ok = true;
    if (info != nullptr && !envelope.api_version.empty() &&
        envelope.api_version != info->api_version) {
      version_ok = FindMetaKind(scheme, envelope.api_version, envelope.kind) == info;
    }
    if (envelope.kind != expected_kind || !version_ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("protobuf envelope: the body is ", envelope.api_version, "/", envelope.kind,
                       ", expected ", info != nullptr ? absl::StrCat(info->api_version, "/") : "",
                       expected_kind));
    }
  }
  out->Clear();
  RETURN_IF_ERROR(
      ParseK8sProtobufRaw(std::string_view(envelope.raw.data(), envelope.raw.size()), out));
  if (info != nullptr) (void)scheme.SetTypeMeta(out);
  return absl::OkStatus();
}

std::string EncodeK8sProtobufWatchFrame(std::string_view event_type, const Message& object,
                                        const Scheme& scheme) {
  std::string raw_extension;
  PutLen(1, EncodeK8sProtobuf(object, scheme), &raw_extension);
  std::string event;
  PutLen(1, AbslView(event_type), &event);
  PutLen(2, raw_extension, &event);
  std::string frame;
  frame.reserve(4 + event.size());
  const auto size = static_cast<uint32_t>(event.size());
  for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(size >> shift));
  frame.append(event);
  return frame;
}

}  // namespace minik8s::api
