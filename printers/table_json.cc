#include "printers/table_json.h"

#include <memory>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/yaml_scalar.h"
#include "google/protobuf/descriptor.h"
#include "printers/builtin_printers.h"
#include "printers/registry.h"

namespace minik8s::printers {
namespace {

using google::protobuf::Message;

// Length of the UTF-8 sequence a lead byte announces (0: not a lead byte).
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 0;
}

// `s` with every byte that does not start a valid UTF-8 sequence replaced by
// U+FFFD.
std::string ReplaceInvalidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = SequenceLength(static_cast<unsigned char>(s[i]));
    if (n != 0 && i + n <= s.size() && api::IsValidUtf8(s.substr(i, n))) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

void AppendCell(const Cell& cell, std::string* out) {
  if (const auto* n = std::get_if<int64_t>(&cell)) {
    absl::StrAppend(out, *n);
  } else {
    out->append(JsonString(std::get<std::string>(cell)));
  }
}

void AppendColumns(const KindPrinter& printer, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < printer.columns.size(); ++i) {
    const ColumnDefinition& c = printer.columns[i];
    if (i > 0) out->push_back(',');
    absl::StrAppend(out, "{\"name\":", JsonString(c.name), ",\"type\":", JsonString(c.type),
                    ",\"format\":", JsonString(c.format),
                    ",\"description\":", JsonString(c.description), ",\"priority\":", c.priority,
                    "}");
  }
  out->push_back(']');
}

// The full object with apiVersion and kind filled in from `kind` when the
// message lacks them (objects read back from storage may).
std::string FullObjectJson(const api::KindInfo& kind, const Message& object) {
  const auto* d = object.GetDescriptor();
  const auto* kind_field = d->FindFieldByName("kind");
  const auto* api_version_field = d->FindFieldByName("api_version");
  const bool typed =
      kind_field != nullptr && api_version_field != nullptr &&
      kind_field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
      api_version_field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
      !kind_field->is_repeated() && !api_version_field->is_repeated();
  if (!typed || d != kind.descriptor ||
      !object.GetReflection()->GetString(object, kind_field).empty()) {
    return api::EncodeJson(object);
  }
  std::unique_ptr<Message> copy(object.New());
  copy->CopyFrom(object);
  copy->GetReflection()->SetString(copy.get(), api_version_field, kind.api_version);
  copy->GetReflection()->SetString(copy.get(), kind_field, kind.kind);
  return api::EncodeJson(*copy);
}

void AppendRowObject(const api::KindInfo& kind, const Message& object, IncludeObject include,
                     std::string* out) {
  switch (include) {
    case IncludeObject::kNone:
      out->append("null");
      return;
    case IncludeObject::kMetadata:
      absl::StrAppend(out,
                      "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\","
                      "\"metadata\":",
                      api::EncodeJson(MetadataOf(object)), "}");
      return;
    case IncludeObject::kObject:
      out->append(FullObjectJson(kind, object));
      return;
  }
}

void AppendRow(const api::KindInfo& kind, const KindPrinter& printer, const Message& object,
               const TableJsonOptions& options, std::string* out) {
  const Row row = PrintRow(printer, object, options.now);
  out->append("{\"cells\":[");
  for (size_t i = 0; i < row.cells.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendCell(row.cells[i], out);
  }
  out->push_back(']');
  if (!row.conditions.empty()) {
    out->append(",\"conditions\":[");
    for (size_t i = 0; i < row.conditions.size(); ++i) {
      const RowCondition& c = row.conditions[i];
      if (i > 0) out->push_back(',');
      absl::StrAppend(out, "{\"type\":", JsonString(c.type), ",\"status\":", JsonString(c.status));
      if (!c.reason.empty()) absl::StrAppend(out, ",\"reason\":", JsonString(c.reason));
      if (!c.message.empty()) absl::StrAppend(out, ",\"message\":", JsonString(c.message));
      out->push_back('}');
    }
    out->push_back(']');
  }
  out->append(",\"object\":");
  AppendRowObject(kind, object, options.include_object, out);
  out->push_back('}');
}

}  // namespace

absl::StatusOr<IncludeObject> ParseIncludeObject(std::string_view value) {
  if (value.empty() || value == "Metadata") return IncludeObject::kMetadata;
  if (value == "None") return IncludeObject::kNone;
  if (value == "Object") return IncludeObject::kObject;
  return absl::InvalidArgumentError(
      absl::StrCat("includeObject: Invalid value: ", JsonString(value),
                   ": must be 'Metadata', 'Object', 'None', or empty"));
}

std::string JsonString(std::string_view s) {
  if (api::IsValidUtf8(s)) return api::JsonQuote(s);
  return api::JsonQuote(ReplaceInvalidUtf8(s));
}

std::string EncodeTableJson(const api::KindInfo& kind, const std::vector<const Message*>& objects,
                            const TableJsonOptions& options) {
  const KindPrinter& printer = PrinterFor(kind);
  std::string out = "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{";
  bool first_meta = true;
  auto meta_field = [&](const char* name, const std::string& json_value) {
    if (!first_meta) out.push_back(',');
    first_meta = false;
    absl::StrAppend(&out, "\"", name, "\":", json_value);
  };
  if (!options.resource_version.empty()) {
    meta_field("resourceVersion", JsonString(options.resource_version));
  }
  if (!options.continue_token.empty()) meta_field("continue", JsonString(options.continue_token));
  if (options.remaining_item_count.has_value()) {
    meta_field("remainingItemCount", absl::StrCat(*options.remaining_item_count));
  }
  out.append("},\"columnDefinitions\":");
  if (options.include_column_definitions) {
    AppendColumns(printer, &out);
  } else {
    out.append("null");
  }
  out.append(",\"rows\":[");
  bool first_row = true;
  for (const Message* object : objects) {
    if (object == nullptr) continue;
    if (!first_row) out.push_back(',');
    first_row = false;
    AppendRow(kind, printer, *object, options, &out);
  }
  out.append("]}");
  return out;
}

std::string EncodeObjectTableJson(const api::KindInfo& kind, const Message& object,
                                  TableJsonOptions options) {
  if (options.resource_version.empty()) {
    options.resource_version = MetadataOf(object).resource_version();
  }
  return EncodeTableJson(kind, {&object}, options);
}

}  // namespace minik8s::printers
