#include "kubectl/printers/object_output.h"

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

bool IsKnownOutputFormat(const std::string& format) {
  return format.empty() || format == "wide" || format == "yaml" || format == "json" ||
         format == "name";
}

std::string UnknownOutputFormatMessage(const std::string& format) {
  return absl::StrCat("unable to match a printer suitable for the output format \"", format,
                      "\", allowed formats are: json,name,wide,yaml");
}

}  // namespace minik8s::kubectl
