#include "kubectl/printers/explain.h"

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace minik8s::kubectl {
namespace {

constexpr int kWrapWidth = 80;
constexpr int kMaxDepth = 64;

// n[key] read without yaml-cpp's pitfalls: never inserts, never throws; an
// Undefined node when `n` is not a map or has no such key. (Nodes are
// rebound with reset(): `a = b` would overwrite what `a` refers to.)
YAML::Node Child(const YAML::Node& n, const std::string& key) {
  if (!n.IsDefined() || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& cn = n;
  YAML::Node c = cn[key];
  if (!c.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
  return c;
}

bool IsMap(const YAML::Node& n) { return n.IsDefined() && n.IsMap(); }
bool IsSeq(const YAML::Node& n) { return n.IsDefined() && n.IsSequence(); }

class Schemas {
 public:
  explicit Schemas(const YAML::Node& document)
      : schemas_(Child(Child(document, "components"), "schemas")) {}

  // The schema `node` stands for once its $ref (or a lone allOf $ref) is
  // followed; `name` receives the referenced schema's name when there was one.
  YAML::Node Resolve(const YAML::Node& node, std::string* name = nullptr) const {
    YAML::Node at(node);
    for (int i = 0; i < kMaxDepth && IsMap(at); ++i) {
      std::string ref = Str(Child(at, "$ref"));
      const YAML::Node all_of = Child(at, "allOf");
      if (ref.empty() && IsSeq(all_of) && all_of.size() == 1) ref = Str(Child(all_of[0], "$ref"));
      if (ref.empty()) break;
      const std::string full = ref.substr(ref.rfind('/') + 1);
      if (name != nullptr) *name = full;
      at.reset(Child(schemas_, full));
    }
    return at;
  }

  // The component schema with this group-version-kind.
  YAML::Node FindKind(const ExplainRequest& r) const {
    if (!IsMap(schemas_)) return YAML::Node(YAML::NodeType::Undefined);
    for (const auto& entry : schemas_) {
      const YAML::Node gvks = Child(entry.second, "x-kubernetes-group-version-kind");
      if (!IsSeq(gvks)) continue;
      for (const YAML::Node& gvk : gvks) {
        if (Str(Child(gvk, "group")) == r.group && Str(Child(gvk, "version")) == r.version &&
            Str(Child(gvk, "kind")) == r.kind) {
          return entry.second;
        }
      }
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }

  static std::string Str(const YAML::Node& node) {
    return node.IsDefined() && node.IsScalar() ? node.as<std::string>() : "";
  }

  // kubectl's name for the type of a property schema.
  std::string TypeName(const YAML::Node& node, int depth = 0) const {
    if (depth > kMaxDepth) return "Object";
    std::string ref_name;
    const YAML::Node s = Resolve(node, &ref_name);
    const std::string type = Str(Child(s, "type"));
    if (type == "array") return absl::StrCat("[]", TypeName(Child(s, "items"), depth + 1));
    if (!ref_name.empty() && (type.empty() || type == "object")) {
      return ref_name.substr(ref_name.rfind('.') + 1);
    }
    if (type == "object" || type.empty()) {
      const YAML::Node values = Child(s, "additionalProperties");
      if (IsMap(values)) return absl::StrCat("map[string]", TypeName(values, depth + 1));
      return "Object";
    }
    return type;
  }

  // The schema whose fields a property has: through $refs, array items and
  // map values.
  YAML::Node Element(const YAML::Node& node) const {
    YAML::Node s(Resolve(node));
    for (int i = 0; i < kMaxDepth && IsMap(s); ++i) {
      const YAML::Node items = Child(s, "items");
      const YAML::Node values = Child(s, "additionalProperties");
      if (Str(Child(s, "type")) == "array" && items.IsDefined()) {
        s.reset(Resolve(items));
      } else if (!IsMap(Child(s, "properties")) && IsMap(values)) {
        s.reset(Resolve(values));
      } else {
        break;
      }
    }
    return s;
  }

 private:
  YAML::Node schemas_;
};

// `text` word-wrapped to kubectl's width, each line indented by `indent`.
void AppendWrapped(std::string* out, const std::string& text, int indent) {
  const std::string pad(indent, ' ');
  for (absl::string_view paragraph : absl::StrSplit(text, '\n')) {
    std::string line;
    for (absl::string_view word : absl::StrSplit(paragraph, ' ', absl::SkipEmpty())) {
      if (!line.empty() && indent + line.size() + 1 + word.size() > kWrapWidth) {
        absl::StrAppend(out, pad, line, "\n");
        line.clear();
      }
      absl::StrAppend(&line, line.empty() ? "" : " ", word);
    }
    absl::StrAppend(out, pad, line, "\n");
  }
}

bool IsRequired(const YAML::Node& parent, const std::string& name) {
  const YAML::Node required = Child(parent, "required");
  if (!IsSeq(required)) return false;
  for (const YAML::Node& r : required) {
    if (Schemas::Str(r) == name) return true;
  }
  return false;
}

void AppendFields(std::string* out, const Schemas& schemas, const YAML::Node& schema,
                  bool recursive, int depth, std::vector<YAML::Node>* path) {
  const YAML::Node properties = Child(schema, "properties");
  if (!IsMap(properties)) return;
  std::vector<std::string> names;
  for (const auto& p : properties) names.push_back(p.first.as<std::string>());
  std::sort(names.begin(), names.end());
  const std::string pad(2 * (depth + 1), ' ');
  for (const std::string& name : names) {
    const YAML::Node property = Child(properties, name);
    absl::StrAppend(out, pad, name, "\t<", schemas.TypeName(property), ">",
                    IsRequired(schema, name) ? " -required-" : "", "\n");
    if (!recursive) {
      const std::string description = Schemas::Str(Child(property, "description"));
      if (description.empty()) {
        absl::StrAppend(out, "    <no description>\n");
      } else {
        AppendWrapped(out, description, 4);
      }
      out->append("\n");
      continue;
    }
    // Nested fields, unless that schema is already being listed further up
    // (schemas may refer to themselves).
    const YAML::Node element = schemas.Element(property);
    if (!IsMap(Child(element, "properties")) || depth >= kMaxDepth) continue;
    bool seen = false;
    for (const YAML::Node& up : *path) seen = seen || up.is(element);
    if (seen) continue;
    path->push_back(element);
    AppendFields(out, schemas, element, recursive, depth + 1, path);
    path->pop_back();
  }
}

}  // namespace

ExplainOutput Explain(const YAML::Node& document, const ExplainRequest& request) {
  ExplainOutput result;
  std::string& out = result.text;
  if (!request.group.empty()) absl::StrAppend(&out, "GROUP:      ", request.group, "\n");
  absl::StrAppend(&out, "KIND:       ", request.kind, "\nVERSION:    ", request.version, "\n\n");
  const Schemas schemas(document);
  const YAML::Node schema = schemas.FindKind(request);
  if (!IsMap(schema)) {
    result.status = absl::NotFoundError(
        absl::StrCat("couldn't find resource for \"",
                     request.group.empty() ? "" : absl::StrCat(request.group, "/"), request.version,
                     ", Kind=", request.kind, "\""));
    return result;
  }
  std::string description = Schemas::Str(Child(schema, "description"));
  YAML::Node fields_of(schema);
  if (!request.field_path.empty()) {
    YAML::Node property(YAML::NodeType::Undefined);
    for (const std::string& field : request.field_path) {
      const YAML::Node next = Child(Child(fields_of, "properties"), field);
      if (!next.IsDefined()) {
        result.status = absl::NotFoundError(absl::StrCat("field \"", field, "\" does not exist"));
        return result;
      }
      property.reset(next);
      fields_of.reset(schemas.Element(property));
    }
    absl::StrAppend(&out, "FIELD: ", request.field_path.back(), " <", schemas.TypeName(property),
                    ">\n\n\n");
    // The field's own description, else its type's.
    description = Schemas::Str(Child(property, "description"));
    if (description.empty()) description = Schemas::Str(Child(fields_of, "description"));
  }
  out.append("DESCRIPTION:\n");
  if (description.empty()) {
    out.append("    <empty>\n");
  } else {
    AppendWrapped(&out, description, 4);
    out.append("    \n");
  }
  if (IsMap(Child(fields_of, "properties"))) {
    out.append("FIELDS:\n");
    std::vector<YAML::Node> path = {fields_of};
    AppendFields(&out, schemas, fields_of, request.recursive, 0, &path);
  }
  out.append("\n");
  return result;
}

}  // namespace minik8s::kubectl
