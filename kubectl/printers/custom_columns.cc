#include "kubectl/printers/custom_columns.h"

#include <regex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "kubectl/printers/table.h"

namespace minik8s::kubectl {

absl::StatusOr<std::string> RelaxedJsonPath(const std::string& expression) {
  if (expression.empty()) return expression;
  static const std::regex kJson(R"(^\{\.?([^{}]+)\}$|^\.?([^{}]+)$)");
  std::smatch m;
  if (!std::regex_match(expression, m, kJson)) {
    return absl::InvalidArgumentError(
        "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' "
        "or '{.name1.name2}'");
  }
  const std::string field = m[1].matched && m[1].length() > 0 ? m[1].str() : m[2].str();
  return absl::StrCat("{.", field, "}");
}

absl::StatusOr<std::vector<CustomColumn>> ParseCustomColumnsSpec(const std::string& spec) {
  if (spec.empty()) {
    return absl::InvalidArgumentError(
        "custom-columns format specified but no custom columns given");
  }
  std::vector<CustomColumn> columns;
  for (absl::string_view part : absl::StrSplit(spec, ',')) {
    std::vector<std::string> col = absl::StrSplit(part, absl::MaxSplits(':', 1));
    if (col.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected custom-columns spec: ", part,
                                                     ", expected <header>:<json-path-expr>"));
    }
    absl::StatusOr<std::string> path = RelaxedJsonPath(col[1]);
    if (!path.ok()) return path.status();
    columns.push_back({col[0], *path});
  }
  return columns;
}

absl::StatusOr<std::vector<CustomColumn>> ParseCustomColumnsTemplate(const std::string& text) {
  std::istringstream in(text);
  std::string header_line, spec_line;
  if (!std::getline(in, header_line)) {
    return absl::InvalidArgumentError(
        "invalid template, missing header line. Expected format is one line of space separated "
        "headers, one line of space separated column specs.");
  }
  if (!std::getline(in, spec_line)) {
    return absl::InvalidArgumentError(
        "invalid template, missing spec line. Expected format is one line of space separated "
        "headers, one line of space separated column specs.");
  }
  std::vector<std::string> headers =
      absl::StrSplit(header_line, absl::ByAnyChar(" \t\r\v\f"), absl::SkipEmpty());
  std::vector<std::string> specs =
      absl::StrSplit(spec_line, absl::ByAnyChar(" \t\r\v\f"), absl::SkipEmpty());
  if (headers.size() != specs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("number of headers (", headers.size(),
                                                   ") and field specifications (", specs.size(),
                                                   ") don't match"));
  }
  std::vector<CustomColumn> columns;
  for (size_t i = 0; i < headers.size(); ++i) {
    absl::StatusOr<std::string> path = RelaxedJsonPath(specs[i]);
    if (!path.ok()) return path.status();
    columns.push_back({headers[i], *path});
  }
  return columns;
}

absl::StatusOr<std::string> PrintCustomColumns(const std::vector<CustomColumn>& columns,
                                               const std::vector<jsonpath::Value>& objects,
                                               bool no_headers, std::string* partial) {
  Table table;
  for (const CustomColumn& c : columns) table.headers.push_back(c.header);
  std::vector<jsonpath::Template> templates;
  for (const CustomColumn& c : columns) {
    absl::StatusOr<jsonpath::Template> t = jsonpath::Template::Parse(c.field_spec);
    if (!t.ok()) {
      if (partial != nullptr) *partial = no_headers ? "" : RenderTable(table);
      return t.status();
    }
    templates.push_back(std::move(*t));
  }
  for (const jsonpath::Value& object : objects) {
    std::vector<std::string> row;
    for (const jsonpath::Template& t : templates) {
      absl::StatusOr<std::vector<std::vector<const jsonpath::Value*>>> values =
          t.FindResults(object, /*allow_missing_keys=*/true);
      if (!values.ok()) {
        if (partial != nullptr) *partial = RenderTable(table, no_headers);
        return values.status();
      }
      std::vector<std::string> strings;
      if (values->empty() || (*values)[0].empty()) strings.push_back("<none>");
      for (const auto& list : *values) {
        for (const jsonpath::Value* v : list) strings.push_back(jsonpath::GoString(*v));
      }
      row.push_back(absl::StrJoin(strings, ","));
    }
    table.rows.push_back(std::move(row));
  }
  return RenderTable(table, no_headers);
}

}  // namespace minik8s::kubectl
