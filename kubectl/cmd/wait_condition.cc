#include "kubectl/cmd/wait_condition.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace minik8s::kubectl {
namespace {

constexpr char kJsonPathValueMissing[] =
    "jsonpath wait has to have a value after equal sign, like "
    "--for=jsonpath='{.status.readyReplicas}'=3";

// kubectl's relaxed JSONPath: `{.a}`, `.a`, `a`, `{a}` all mean `{.a}`.
absl::StatusOr<std::string> RelaxedJsonPath(absl::string_view expr) {
  absl::string_view inner = expr;
  if (absl::StartsWith(inner, "{")) {
    if (!absl::EndsWith(inner, "}")) {
      return absl::InvalidArgumentError(
          "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' "
          "or '{.name1.name2}'");
    }
    inner = inner.substr(1, inner.size() - 2);
  }
  if (inner.empty()) return absl::InvalidArgumentError("jsonpath expression cannot be empty");
  if (inner[0] != '.' && inner[0] != '[') return absl::StrCat("{.", inner, "}");
  return absl::StrCat("{", inner, "}");
}

const jsonpath::Value* Field(const jsonpath::Value& v, const std::string& key) {
  if (v.kind != jsonpath::Value::Kind::kObject) return nullptr;
  auto it = v.object.find(key);
  return it == v.object.end() ? nullptr : &it->second;
}

std::optional<int64_t> IntField(const jsonpath::Value* v, const std::string& key) {
  if (v == nullptr) return std::nullopt;
  const jsonpath::Value* f = Field(*v, key);
  if (f == nullptr || f->kind != jsonpath::Value::Kind::kInt) return std::nullopt;
  return f->integer;
}

std::string StringField(const jsonpath::Value& v, const std::string& key) {
  const jsonpath::Value* f = Field(v, key);
  return f != nullptr && f->kind == jsonpath::Value::Kind::kString ? f->string : "";
}

}  // namespace

absl::StatusOr<WaitFor> ParseWaitFor(const std::string& text) {
  WaitFor w;
  absl::string_view rest = text;
  if (text == "delete") {
    w.kind = WaitFor::Kind::kDelete;
    return w;
  }
  if (text == "create") {
    w.kind = WaitFor::Kind::kCreate;
    return w;
  }
  if (absl::ConsumePrefix(&rest, "condition=")) {
    w.kind = WaitFor::Kind::kCondition;
    const size_t eq = rest.find('=');
    w.condition = std::string(rest.substr(0, eq));
    w.value = eq == absl::string_view::npos ? "true" : std::string(rest.substr(eq + 1));
    return w;
  }
  if (absl::ConsumePrefix(&rest, "jsonpath=")) {
    w.kind = WaitFor::Kind::kJsonPath;
    // The expression ends at its closing brace when it has braces (a filter
    // may hold `==`), else at the first `=`.
    size_t eq = absl::string_view::npos;
    if (absl::StartsWith(rest, "{")) {
      const size_t close = rest.rfind('}');
      if (close != absl::string_view::npos) eq = rest.find('=', close);
    } else {
      eq = rest.find('=');
    }
    absl::string_view expr = rest.substr(0, eq);
    absl::StatusOr<std::string> path = RelaxedJsonPath(expr);
    if (!path.ok()) return path.status();
    if (absl::StatusOr<jsonpath::Template> t = jsonpath::Template::Parse(*path); !t.ok()) {
      return t.status();
    }
    w.jsonpath = *path;
    if (eq != absl::string_view::npos) {
      absl::string_view value = rest.substr(eq + 1);
      while (!value.empty() && (value.front() == '\'' || value.front() == '"')) {
        value.remove_prefix(1);
      }
      while (!value.empty() && (value.back() == '\'' || value.back() == '"')) {
        value.remove_suffix(1);
      }
      if (value.empty()) return absl::InvalidArgumentError(kJsonPathValueMissing);
      w.value = std::string(value);
      w.has_value = true;
    }
    return w;
  }
  return absl::InvalidArgumentError(absl::StrCat("unrecognized condition: \"", text, "\""));
}

absl::StatusOr<bool> WaitConditionMet(const WaitFor& wait, const jsonpath::Value& object) {
  if (wait.kind == WaitFor::Kind::kCondition) {
    const jsonpath::Value* status = Field(object, "status");
    const jsonpath::Value* conditions = status == nullptr ? nullptr : Field(*status, "conditions");
    if (conditions == nullptr || conditions->kind != jsonpath::Value::Kind::kArray) return false;
    for (const jsonpath::Value& c : conditions->array) {
      if (!absl::EqualsIgnoreCase(StringField(c, "type"), wait.condition)) continue;
      std::optional<int64_t> generation = IntField(Field(object, "metadata"), "generation");
      if (generation.has_value()) {
        std::optional<int64_t> observed = IntField(&c, "observedGeneration");
        if (!observed.has_value()) observed = IntField(status, "observedGeneration");
        if (observed.has_value() && *observed < *generation) return false;
      }
      return absl::EqualsIgnoreCase(StringField(c, "status"), wait.value);
    }
    return false;
  }
  if (wait.kind != WaitFor::Kind::kJsonPath) return true;
  absl::StatusOr<jsonpath::Template> t = jsonpath::Template::Parse(wait.jsonpath);
  if (!t.ok()) return t.status();
  absl::StatusOr<std::vector<std::vector<const jsonpath::Value*>>> results =
      t->FindResults(object, /*allow_missing_keys=*/true);
  if (!results.ok()) return false;
  std::vector<const jsonpath::Value*> found;
  for (const auto& list : *results) found.insert(found.end(), list.begin(), list.end());
  if (!wait.has_value) return !found.empty();
  if (found.size() != 1) {
    if (found.empty()) return false;
    return absl::InvalidArgumentError("given jsonpath expression matches more than one value");
  }
  const jsonpath::Value& v = *found[0];
  if (v.kind == jsonpath::Value::Kind::kArray || v.kind == jsonpath::Value::Kind::kObject) {
    return absl::InvalidArgumentError(
        "jsonpath leads to a nested object or list which is not supported");
  }
  return jsonpath::GoString(v) == wait.value;
}

}  // namespace minik8s::kubectl
