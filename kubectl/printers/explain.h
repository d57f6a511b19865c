// kubectl explain's plain-text output, from an OpenAPI v3 group-version
// document as the apiserver serves it (/openapi/v3/api/v1,
// /openapi/v3/apis/GROUP/VERSION; apiserver/rest/openapi.h):
//
//   GROUP:      apps              (left out for the core group)
//   KIND:       Deployment
//   VERSION:    v1
//
//   FIELD: strategy <DeploymentStrategy>     (when a field path is given)
//
//
//   DESCRIPTION:
//       <empty>
//   FIELDS:
//     rollingUpdate	<RollingUpdateDeployment>
//       <no description>
//   ...
//
// The kind's schema is the component schema whose
// x-kubernetes-group-version-kind names it; `$ref`s (also inside `allOf`)
// are followed. Type names as kubectl prints them: string, integer,
// boolean, number, []T, map[string]T, the last segment of a referenced
// object schema's name (ObjectMeta), the type of a referenced primitive
// (Time: string), Object for an object without properties. With
// `recursive` every nested field is listed, indented two spaces a level,
// without descriptions.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_PRINTERS_EXPLAIN_H_
#define MINIK8S_KUBECTL_PRINTERS_EXPLAIN_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::kubectl {

struct ExplainRequest {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
  std::vector<std::string> field_path;  // {"spec", "strategy"}; empty: the kind
  bool recursive = false;
};

struct ExplainOutput {
  // What goes to standard output; on a missing field, the header only
  // (kubectl prints it before failing).
  std::string text;
  // NotFound `field "x" does not exist`, or `couldn't find resource for
  // "apps/v1, Kind=X"` when the document has no schema for the kind.
  absl::Status status;
};

ExplainOutput Explain(const YAML::Node& document, const ExplainRequest& request);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_EXPLAIN_H_
