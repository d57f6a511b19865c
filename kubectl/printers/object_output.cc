#include "kubectl/printers/object_output.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/codec.h"

namespace minik8s::kubectl {
namespace {

// Prefixes the first line with `first` and the others with `rest`.
std::string Indent(const std::string& text, const std::string& first, const std::string& rest) {
  std::string out;
  bool is_first = true;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!is_first) out += '\n';
    if (!line.empty()) absl::StrAppend(&out, is_first ? first : rest, line);
    is_first = false;
  }
  return out;
}

}  // namespace

std::string YamlList(const std::vector<const google::protobuf::Message*>& items) {
  std::string out = "apiVersion: v1\n";
  if (items.empty()) {
    out += "items: []\n";
  } else {
    out += "items:\n";
    for (const auto* item : items) {
      std::string yaml = api::EncodeYaml(*item);
      if (!yaml.empty() && yaml.back() == '\n') yaml.pop_back();
      absl::StrAppend(&out, Indent(yaml, "- ", "  "), "\n");
    }
  }
  out += "kind: List\nmetadata:\n  resourceVersion: \"\"\n";
  return out;
}

std::string JsonList(const std::vector<const google::protobuf::Message*>& items) {
  std::string out = "{\n    \"apiVersion\": \"v1\",\n";
  if (items.empty()) {
    out += "    \"items\": [],\n";
  } else {
    out += "    \"items\": [\n";
    for (size_t i = 0; i < items.size(); ++i) {
      absl::StrAppend(&out, Indent(api::EncodeJsonIndented(*items[i]), "        ", "        "),
                      i + 1 < items.size() ? ",\n" : "\n");
    }
    out += "    ],\n";
  }
  out +=
      "    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n";
  return out;
}

namespace {

// The part of `output` before '=' (all of it without one).
std::string FormatName(const std::string& output) { return output.substr(0, output.find('=')); }

bool ReadWholeFile(const std::string& path, std::string* text) {
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *text = s.str();
  return true;
}

}  // namespace

bool IsKnownOutputFormat(const std::string& format) {
  if (format.empty() || format == "wide" || format == "yaml" || format == "json" ||
      format == "name") {
    return true;
  }
  const std::string name = FormatName(format);
  return name == "jsonpath" || name == "jsonpath-file" || name == "jsonpath-as-json" ||
         name == "custom-columns" || name == "custom-columns-file";
}

absl::StatusOr<OutputFormat> ParseOutputFormat(const std::string& output,
                                               const std::string& template_flag) {
  OutputFormat f;
  if (!IsKnownOutputFormat(output)) {
    return absl::InvalidArgumentError(UnknownOutputFormatMessage(output));
  }
  if (output.empty()) return f;
  if (output == "wide") {
    f.kind = OutputFormat::Kind::kWide;
    return f;
  }
  if (output == "yaml") {
    f.kind = OutputFormat::Kind::kYaml;
    return f;
  }
  if (output == "json") {
    f.kind = OutputFormat::Kind::kJson;
    return f;
  }
  if (output == "name") {
    f.kind = OutputFormat::Kind::kName;
    return f;
  }
  const std::string name = FormatName(output);
  const size_t eq = output.find('=');
  std::string value = eq == std::string::npos ? template_flag : output.substr(eq + 1);
  if (name == "custom-columns") {
    absl::StatusOr<std::vector<CustomColumn>> columns = ParseCustomColumnsSpec(value);
    if (!columns.ok()) return columns.status();
    f.kind = OutputFormat::Kind::kCustomColumns;
    f.columns = std::move(*columns);
    return f;
  }
  if (name == "custom-columns-file") {
    std::string text;
    if (!ReadWholeFile(value, &text)) {
      return absl::InvalidArgumentError(absl::StrCat("error reading template ", value, ", open ",
                                                     value, ": no such file or directory"));
    }
    absl::StatusOr<std::vector<CustomColumn>> columns = ParseCustomColumnsTemplate(text);
    if (!columns.ok()) return columns.status();
    f.kind = OutputFormat::Kind::kCustomColumns;
    f.columns = std::move(*columns);
    return f;
  }
  if (value.empty()) {
    return absl::InvalidArgumentError("template format specified but no template given");
  }
  f.kind = OutputFormat::Kind::kJsonPath;
  f.jsonpath_as_json = name == "jsonpath-as-json";
  if (name == "jsonpath-file") {
    std::string text;
    if (!ReadWholeFile(value, &text)) {
      return absl::InvalidArgumentError(absl::StrCat("error reading --template ", value, ", open ",
                                                     value, ": no such file or directory"));
    }
    f.jsonpath = std::move(text);
  } else {
    f.jsonpath = std::move(value);
  }
  return f;
}

std::string UnknownOutputFormatMessage(const std::string& format) {
  return absl::StrCat("unable to match a printer suitable for the output format \"", format,
                      "\", allowed formats are: "
                      "custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,"
                      "jsonpath-file,name,wide,yaml");
}

}  // namespace minik8s::kubectl
