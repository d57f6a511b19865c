// Helpers shared by the patch tests: JSON text to node trees and a canonical
// text form of a tree that keeps the string/non-string distinction.
#ifndef MINIK8S_TESTS_API_PATCH_PATCH_TEST_UTIL_H_
#define MINIK8S_TESTS_API_PATCH_PATCH_TEST_UTIL_H_

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "yaml-cpp/yaml.h"

namespace minik8s::patch {

inline YAML::Node Json(const std::string& text) { return YAML::Load(text); }

// Maps with sorted keys; strings (tag "!") quoted, other scalars bare.
inline std::string Canon(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return n.Tag() == "!" ? "\"" + n.Scalar() + "\"" : n.Scalar();
    case YAML::NodeType::Sequence: {
      std::string out = "[";
      for (size_t i = 0; i < n.size(); ++i) out += (i ? "," : "") + Canon(n[i]);
      return out + "]";
    }
    case YAML::NodeType::Map: {
      std::vector<std::pair<std::string, std::string>> members;
      for (auto it = n.begin(); it != n.end(); ++it) {
        members.emplace_back(it->first.Scalar(), Canon(it->second));
      }
      std::sort(members.begin(), members.end());
      std::string out = "{";
      for (size_t i = 0; i < members.size(); ++i) {
        out += (i ? "," : "") + ("\"" + members[i].first + "\":") + members[i].second;
      }
      return out + "}";
    }
  }
  return "?";
}

// Canonical form of JSON text, for expectations.
inline std::string CanonJson(const std::string& text) { return Canon(Json(text)); }

// `{"a":{"a":...{"a":1}...}}` with `depth` objects, built in code: the
// yaml-cpp parser itself refuses documents nested about this deep.
inline YAML::Node NestedObjects(int depth) {
  YAML::Node root(YAML::NodeType::Null);  // allocated now, so handles share it
  YAML::Node current = root;              // a second handle on the same node
  for (int i = 0; i < depth; ++i) {
    YAML::Node child(YAML::NodeType::Null);
    current.force_insert("a", child);
    current.reset(child);
  }
  current = 1;
  return root;
}

}  // namespace minik8s::patch

#endif  // MINIK8S_TESTS_API_PATCH_PATCH_TEST_UTIL_H_
