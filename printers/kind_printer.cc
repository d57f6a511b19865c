// The pieces every kind printer shares: cell text, the NAME and AGE columns,
// metadata access, and the NAME/AGE printer for kinds without their own.
#include "printers/kind_printer.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "api/time.h"
#include "google/protobuf/descriptor.h"
#include "printers/builtin_printers.h"
#include "printers/duration.h"

namespace minik8s::printers {
namespace {

Row MetadataRow(const google::protobuf::Message& object, absl::Time now) {
  const minik8s::meta::v1::ObjectMeta& meta = MetadataOf(object);
  Row row;
  row.cells = {meta.name(), TimestampSince(meta.creation_timestamp(), now)};
  return row;
}

}  // namespace

std::string CellText(const Cell& cell) {
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  return absl::StrCat(std::get<int64_t>(cell));
}

ColumnDefinition CreatedAtColumn() {
  return {"Created At", "date", "",
          "CreationTimestamp is a timestamp representing the server time when this object was "
          "created.",
          0};
}

Row NameAndCreatedAt(const meta::v1::ObjectMeta& metadata) {
  Row row;
  row.cells = {metadata.name(),
               api::FormatRfc3339(absl::FromUnixSeconds(metadata.creation_timestamp().seconds()))};
  return row;
}

ColumnDefinition NameColumn() {
  return {"Name", "string", "name",
          "Name of the object, unique among objects of its kind in its namespace "
          "(metadata.name).",
          0};
}

ColumnDefinition AgeColumn() {
  return {"Age", "string", "", "Time since the object was created (metadata.creationTimestamp).",
          0};
}

const minik8s::meta::v1::ObjectMeta& MetadataOf(const google::protobuf::Message& object) {
  const google::protobuf::FieldDescriptor* field =
      object.GetDescriptor()->FindFieldByName("metadata");
  if (field == nullptr || field->is_repeated() ||
      field->message_type() != minik8s::meta::v1::ObjectMeta::descriptor()) {
    return minik8s::meta::v1::ObjectMeta::default_instance();
  }
  return static_cast<const minik8s::meta::v1::ObjectMeta&>(
      object.GetReflection()->GetMessage(object, field));
}

KindPrinter MetadataPrinter() { return {{NameColumn(), AgeColumn()}, &MetadataRow}; }

}  // namespace minik8s::printers
