#include "kubectl/apply/three_way_merge.h"

#include "kubectl/apply/json_node.h"

namespace minik8s::kubectl {
namespace {

bool Present(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

const YAML::Node Child(const YAML::Node& map, const std::string& key) {
  if (!Present(map) || !map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return map[key];
}

// True when every field of `a` is in `b` with the same value; `b` may have
// more (the apiserver's defaults). Lists must have the same length.
bool Subset(const YAML::Node& a, const YAML::Node& b) {
  if (!Present(a)) return !Present(b) || NodesEqual(a, b);
  if (!Present(b)) return false;
  if (a.IsMap()) {
    if (!b.IsMap()) return false;
    for (const auto& kv : a) {
      if (!Subset(kv.second, b[kv.first.Scalar()])) return false;
    }
    return true;
  }
  if (a.IsSequence()) {
    if (!b.IsSequence() || a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!Subset(a[i], b[i])) return false;
    }
    return true;
  }
  return NodesEqual(a, b);
}

}  // namespace

YAML::Node ThreeWayMergePatch(const YAML::Node& original, const YAML::Node& modified,
                              const YAML::Node& current) {
  YAML::Node patch(YAML::NodeType::Map);
  if (Present(modified) && modified.IsMap()) {
    for (const auto& kv : modified) {
      const std::string key = kv.first.Scalar();
      const YAML::Node mv = kv.second;
      const YAML::Node cv = Child(current, key);
      if (!cv.IsDefined()) {
        if (Present(mv)) patch[key] = YAML::Clone(mv);
        continue;
      }
      if (Present(mv) && mv.IsMap() && Present(cv) && cv.IsMap()) {
        YAML::Node sub = ThreeWayMergePatch(Child(original, key), mv, cv);
        if (sub.size() > 0) patch[key] = sub;
        continue;
      }
      if (NodesEqual(mv, cv)) continue;
      // Lists are replaced whole. When the user did not change one since
      // the last apply and the live list only adds defaulted fields to its
      // elements, it is left alone.
      const YAML::Node ov = Child(original, key);
      if (Subset(mv, cv) && (!Present(ov) || NodesEqual(ov, mv))) continue;
      patch[key] = YAML::Clone(mv);
    }
  }
  if (Present(original) && original.IsMap()) {
    for (const auto& kv : original) {
      const std::string key = kv.first.Scalar();
      const bool in_modified = Present(modified) && modified.IsMap() &&
                               Present(static_cast<const YAML::Node&>(modified)[key]);
      if (in_modified) continue;
      if (!Present(Child(current, key))) continue;
      patch[key] = YAML::Node(YAML::NodeType::Null);
    }
  }
  return patch;
}

}  // namespace minik8s::kubectl
