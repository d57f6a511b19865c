// `-o yaml`, `-o json` and `-o name` output. One object requested by name
// prints as itself; anything else prints as a `kind: List` (apiVersion v1)
// holding the items, as kubectl does.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_PRINTERS_OBJECT_OUTPUT_H_
#define MINIK8S_KUBECTL_PRINTERS_OBJECT_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "kubectl/printers/custom_columns.h"

namespace minik8s::kubectl {

// Objects must have apiVersion and kind set (Scheme::SetTypeMeta).
std::string YamlList(const std::vector<const google::protobuf::Message*>& items);
std::string JsonList(const std::vector<const google::protobuf::Message*>& items);

// The output formats get accepts; "" is the table. `format` is the whole -o
// value (`jsonpath={.a}` counts as jsonpath).
bool IsKnownOutputFormat(const std::string& format);

// A parsed -o value.
struct OutputFormat {
  enum class Kind { kTable, kWide, kYaml, kJson, kName, kJsonPath, kCustomColumns };
  Kind kind = Kind::kTable;
  std::string jsonpath;               // kJsonPath: the template
  bool jsonpath_as_json = false;      // kJsonPath: -o jsonpath-as-json
  std::vector<CustomColumn> columns;  // kCustomColumns
};

// Parses `-o` as kubectl does: `jsonpath=T`, `jsonpath-file=F`,
// `jsonpath-as-json=T`, `custom-columns=SPEC`, `custom-columns-file=F`;
// `template` is --template (the template when -o has none). Errors in
// kubectl's words ("template format specified but no template given",
// "error reading --template F, open F: no such file or directory", ...).
absl::StatusOr<OutputFormat> ParseOutputFormat(const std::string& output,
                                               const std::string& template_flag);
// kubectl's message for an unknown -o value.
std::string UnknownOutputFormatMessage(const std::string& format);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_OBJECT_OUTPUT_H_
