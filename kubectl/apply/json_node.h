// YAML node trees (api::EncodeNode output, or JSON/YAML text parsed by
// yaml-cpp) as JSON text, and structural comparison of such trees.
//
// Scalars: a node tagged "!" (quoted in the source, or a string from
// EncodeNode) is a string; an untagged plain scalar resolves as YAML 1.2's
// core schema does: null/~ → null, true/false → boolean, a number → number,
// anything else → string.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_APPLY_JSON_NODE_H_
#define MINIK8S_KUBECTL_APPLY_JSON_NODE_H_

#include <string>

#include "yaml-cpp/yaml.h"

namespace minik8s::kubectl {

// Compact JSON (`{"a":1,"b":["x"]}`); map keys in the tree's order.
std::string NodeToJson(const YAML::Node& node);

// Deep equality: same shape, same keys (any order), equal scalars of the
// same resolved type. An undefined/null node equals a null scalar.
bool NodesEqual(const YAML::Node& a, const YAML::Node& b);

// A string node that NodeToJson and the codec treat as a string.
YAML::Node StringNode(const std::string& value);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_APPLY_JSON_NODE_H_
