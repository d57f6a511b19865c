// `-o custom-columns=HEADER:PATH,...` and `-o custom-columns-file=FILE`:
// one column per JSONPath, evaluated on every object as kubectl does (a
// missing value prints `<none>`, several values are joined with commas, maps
// and lists print as Go's %v: `map[app:web]`, `[a b]`).
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_PRINTERS_CUSTOM_COLUMNS_H_
#define MINIK8S_KUBECTL_PRINTERS_CUSTOM_COLUMNS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kubectl/printers/jsonpath.h"

namespace minik8s::kubectl {

struct CustomColumn {
  std::string header;
  std::string field_spec;  // a complete JSONPath template, e.g. {.metadata.name}
};

// kubectl's RelaxedJSONPathExpression: `a.b`, `.a.b`, `{a.b}` and `{.a.b}`
// all become `{.a.b}`; "" stays "".
absl::StatusOr<std::string> RelaxedJsonPath(const std::string& expression);

// From `NAME:.metadata.name,IMAGE:.spec.containers[*].image`.
absl::StatusOr<std::vector<CustomColumn>> ParseCustomColumnsSpec(const std::string& spec);
// From a file's text: a line of headers and a line of paths, each separated
// by whitespace.
absl::StatusOr<std::vector<CustomColumn>> ParseCustomColumnsTemplate(const std::string& text);

// The table for `objects` (each a JSON value). On a path that does not parse,
// the error and in `*partial` what kubectl printed before it (the headers).
absl::StatusOr<std::string> PrintCustomColumns(const std::vector<CustomColumn>& columns,
                                               const std::vector<jsonpath::Value>& objects,
                                               bool no_headers, std::string* partial);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_CUSTOM_COLUMNS_H_
