#include "api/patch/json_patch.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "api/patch/json_value.h"
#include "common/status_macros.h"

namespace minik8s::patch {
namespace {

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

// RFC 6901: "" is the whole document; otherwise "/"-separated tokens with
// "~1" for "/" and "~0" for "~".
absl::StatusOr<std::vector<std::string>> ParsePointer(absl::string_view path) {
  std::vector<std::string> tokens;
  if (path.empty()) return tokens;
  if (path[0] != '/') {
    return Invalid(
        absl::StrCat("invalid JSON pointer \"", path, "\": it must be empty or start with \"/\""));
  }
  for (absl::string_view raw : absl::StrSplit(path.substr(1), '/')) {
    std::string token;
    token.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        token.push_back(raw[i]);
        continue;
      }
      char next = i + 1 < raw.size() ? raw[i + 1] : '\0';
      if (next != '0' && next != '1') {
        return Invalid(absl::StrCat("invalid JSON pointer \"", path,
                                    "\": \"~\" must be followed by \"0\" or \"1\""));
      }
      token.push_back(next == '0' ? '~' : '/');
      ++i;
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

// An array index: "0" or digits without a leading zero.
std::optional<size_t> ParseIndex(absl::string_view token) {
  if (token.empty() || token.size() > 18) return std::nullopt;
  if (token.size() > 1 && token[0] == '0') return std::nullopt;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint64_t index = 0;
  if (!absl::SimpleAtoi(token, &index)) return std::nullopt;
  return static_cast<size_t>(index);
}

// The value at tokens[0, count) below `root`; nullptr when a step is missing.
JsonValue* Walk(JsonValue* root, const std::vector<std::string>& tokens, size_t count) {
  JsonValue* current = root;
  for (size_t i = 0; i < count && current != nullptr; ++i) {
    if (current->is_object()) {
      current = current->Find(tokens[i]);
    } else if (current->is_array()) {
      std::optional<size_t> index = ParseIndex(tokens[i]);
      if (!index.has_value() || *index >= current->elements.size()) return nullptr;
      current = &current->elements[*index];
    } else {
      return nullptr;
    }
  }
  return current;
}

size_t Depth(const JsonValue& v) {
  size_t deepest = 0;
  if (v.is_object()) {
    for (const auto& [key, member] : v.members) deepest = std::max(deepest, Depth(member) + 1);
  } else if (v.is_array()) {
    for (const JsonValue& e : v.elements) deepest = std::max(deepest, Depth(e) + 1);
  }
  return deepest;
}

size_t CountValues(const JsonValue& v) {
  size_t n = 1;
  for (const auto& [key, member] : v.members) n += CountValues(member);
  for (const JsonValue& e : v.elements) n += CountValues(e);
  return n;
}

// How one operation words its failures (evanphx/json-patch's phrasing).
struct AddWording {
  std::string missing;  // the parent of the path does not exist
  std::string prefix;   // the parent exists but refuses the value
};

class Patcher {
 public:
  explicit Patcher(JsonValue document) : doc_(std::move(document)) {}

  absl::Status Apply(const JsonValue& operation, size_t index) {
    if (!operation.is_object()) {
      return Invalid(absl::StrCat("operation ", index, " of the JSON patch is not a JSON object"));
    }
    const JsonValue* op = operation.Find("op");
    if (op == nullptr || !op->is_string()) {
      return Invalid(absl::StrCat("operation ", index, " of the JSON patch has no \"op\""));
    }
    const std::string& kind = op->text;
    if (kind != "add" && kind != "remove" && kind != "replace" && kind != "move" &&
        kind != "copy" && kind != "test") {
      return Invalid(absl::StrCat("Unexpected kind: ", kind));
    }
    const JsonValue* path = operation.Find("path");
    if (path == nullptr || !path->is_string()) {
      return Invalid(absl::StrCat(kind, " operation failed to decode path"));
    }
    ASSIGN_OR_RETURN(std::vector<std::string> tokens, ParsePointer(path->text));
    const JsonValue* value = operation.Find("value");
    if ((kind == "add" || kind == "replace" || kind == "test") && value == nullptr) {
      return Invalid(absl::StrCat(kind, " operation has no \"value\""));
    }
    const JsonValue* from = nullptr;
    std::vector<std::string> from_tokens;
    if (kind == "move" || kind == "copy") {
      from = operation.Find("from");
      if (from == nullptr || !from->is_string()) {
        return Invalid(absl::StrCat(kind, " operation failed to decode from"));
      }
      ASSIGN_OR_RETURN(from_tokens, ParsePointer(from->text));
    }

    if (kind == "add") {
      return Add(path->text, tokens, *value,
                 {absl::StrCat("add operation does not apply: doc is missing path: \"", path->text,
                               "\": missing value"),
                  absl::StrCat("error in add for path: '", path->text, "': ")});
    }
    if (kind == "remove") return Remove(path->text, tokens).status();
    if (kind == "replace") return Replace(path->text, tokens, *value);
    if (kind == "test") return Test(path->text, tokens, *value);
    if (kind == "move") return Move(from->text, from_tokens, path->text, tokens);
    return Copy(from->text, from_tokens, path->text, tokens);
  }

  JsonValue& document() { return doc_; }

 private:
  absl::Status CheckDepth(const std::vector<std::string>& tokens, const JsonValue& value) {
    if (tokens.size() + Depth(value) > static_cast<size_t>(kMaxDepth)) {
      return Invalid(absl::StrCat("the patched document would be nested more than ", kMaxDepth,
                                  " levels deep"));
    }
    return absl::OkStatus();
  }

  absl::Status Add(const std::string& path, const std::vector<std::string>& tokens, JsonValue value,
                   const AddWording& wording) {
    RETURN_IF_ERROR(CheckDepth(tokens, value));
    if (tokens.empty()) {
      doc_ = std::move(value);
      return absl::OkStatus();
    }
    JsonValue* parent = Walk(&doc_, tokens, tokens.size() - 1);
    if (parent == nullptr || !(parent->is_object() || parent->is_array())) {
      return Invalid(wording.missing);
    }
    const std::string& key = tokens.back();
    if (parent->is_object()) {
      parent->Set(key, std::move(value));
      return absl::OkStatus();
    }
    auto& elements = parent->elements;
    if (key == "-") {
      elements.push_back(std::move(value));
      return absl::OkStatus();
    }
    std::optional<size_t> index = ParseIndex(key);
    if (!index.has_value()) {
      return Invalid(
          absl::StrCat(wording.prefix, "value was not a proper array index: '", key, "'"));
    }
    if (*index > elements.size()) {
      return Invalid(absl::StrCat(wording.prefix, "Unable to access invalid index: ", key,
                                  ": invalid index referenced"));
    }
    elements.insert(elements.begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
    return absl::OkStatus();
  }

  // Removes and returns the value at `tokens`.
  absl::StatusOr<JsonValue> Remove(const std::string& path,
                                   const std::vector<std::string>& tokens) {
    JsonValue* parent = tokens.empty() ? nullptr : Walk(&doc_, tokens, tokens.size() - 1);
    if (parent == nullptr || !(parent->is_object() || parent->is_array())) {
      return Invalid(absl::StrCat("remove operation does not apply: doc is missing path: \"", path,
                                  "\": missing value"));
    }
    const std::string& key = tokens.back();
    if (parent->is_object()) {
      JsonValue* target = parent->Find(key);
      if (target == nullptr) {
        return Invalid(absl::StrCat("error in remove for path: '", path,
                                    "': Unable to remove nonexistent key: ", key,
                                    ": missing value"));
      }
      JsonValue removed = std::move(*target);
      parent->Remove(key);
      return removed;
    }
    std::optional<size_t> index = ParseIndex(key);
    if (!index.has_value() || *index >= parent->elements.size()) {
      return Invalid(absl::StrCat("error in remove for path: '", path,
                                  "': Unable to access invalid index: ", key,
                                  ": invalid index referenced"));
    }
    auto position = parent->elements.begin() + static_cast<std::ptrdiff_t>(*index);
    JsonValue removed = std::move(*position);
    parent->elements.erase(position);
    return removed;
  }

  absl::Status Replace(const std::string& path, const std::vector<std::string>& tokens,
                       const JsonValue& value) {
    RETURN_IF_ERROR(CheckDepth(tokens, value));
    if (tokens.empty()) {
      doc_ = value;
      return absl::OkStatus();
    }
    JsonValue* parent = Walk(&doc_, tokens, tokens.size() - 1);
    if (parent == nullptr || !(parent->is_object() || parent->is_array())) {
      return Invalid(absl::StrCat("replace operation does not apply: doc is missing path: ", path,
                                  ": missing value"));
    }
    JsonValue* target = Walk(parent, {tokens.back()}, 1);
    if (target == nullptr) {
      return Invalid(absl::StrCat("replace operation does not apply: doc is missing key: ", path,
                                  ": missing value"));
    }
    *target = value;
    return absl::OkStatus();
  }

  absl::Status Test(const std::string& path, const std::vector<std::string>& tokens,
                    const JsonValue& value) {
    JsonValue* target = Walk(&doc_, tokens, tokens.size());
    if (target == nullptr) {
      return Invalid(absl::StrCat("test operation does not apply: is missing path: ", path,
                                  ": missing value"));
    }
    if (!JsonEqual(*target, value)) {
      return Invalid(absl::StrCat("testing value ", path, " failed: test failed"));
    }
    return absl::OkStatus();
  }

  absl::Status Move(const std::string& from, const std::vector<std::string>& from_tokens,
                    const std::string& path, const std::vector<std::string>& tokens) {
    if (from_tokens == tokens) {
      // Moving a value onto itself changes nothing, but the value must exist.
      if (Walk(&doc_, tokens, tokens.size()) == nullptr) {
        return Invalid(absl::StrCat(
            "move operation does not apply: doc is missing from path: ", from, ": missing value"));
      }
      return absl::OkStatus();
    }
    if (from_tokens.size() < tokens.size() &&
        std::equal(from_tokens.begin(), from_tokens.end(), tokens.begin())) {
      return Invalid(absl::StrCat("move operation does not apply: \"from\" ", from,
                                  " is a prefix of \"path\" ", path));
    }
    if (Walk(&doc_, from_tokens, from_tokens.size()) == nullptr) {
      return Invalid(absl::StrCat("move operation does not apply: doc is missing from path: ", from,
                                  ": missing value"));
    }
    ASSIGN_OR_RETURN(JsonValue value, Remove(from, from_tokens));
    return Add(path, tokens, std::move(value),
               {absl::StrCat("move operation does not apply: doc is missing destination path: ",
                             path, ": missing value"),
                absl::StrCat("error in move for path: '", path, "': ")});
  }

  absl::Status Copy(const std::string& from, const std::vector<std::string>& from_tokens,
                    const std::string& path, const std::vector<std::string>& tokens) {
    const JsonValue* source = Walk(&doc_, from_tokens, from_tokens.size());
    if (source == nullptr) {
      return Invalid(absl::StrCat("copy operation does not apply: doc is missing from path: ", from,
                                  ": missing value"));
    }
    copied_ += CountValues(*source);
    if (copied_ > kMaxNodes) {
      return Invalid(absl::StrCat("the copy operations of the JSON patch copy more than ",
                                  kMaxNodes, " values"));
    }
    JsonValue value = *source;
    return Add(path, tokens, std::move(value),
               {absl::StrCat("copy operation does not apply: doc is missing destination path: ",
                             path, ": missing value"),
                "error while adding value during copy: "});
  }

  JsonValue doc_;
  size_t copied_ = 0;
};

}  // namespace

absl::StatusOr<YAML::Node> ApplyJsonPatch(const YAML::Node& document,
                                          const YAML::Node& operations) {
  try {
    if (operations.IsSequence() && operations.size() > kMaxJsonPatchOperations) {
      return Invalid(absl::StrCat("the JSON patch has ", operations.size(), " operations; at most ",
                                  kMaxJsonPatchOperations, " are allowed"));
    }
    ASSIGN_OR_RETURN(JsonValue ops, FromNode(operations, "JSON patch"));
    if (!ops.is_array()) return Invalid("a JSON patch must be a JSON array of operations");
    ASSIGN_OR_RETURN(JsonValue doc, FromNode(document, "document"));
    Patcher patcher(std::move(doc));
    for (size_t i = 0; i < ops.elements.size(); ++i) {
      RETURN_IF_ERROR(patcher.Apply(ops.elements[i], i));
    }
    return ToNode(patcher.document());
  } catch (const YAML::Exception& e) {
    return Invalid(absl::StrCat("JSON patch: ", e.what()));
  }
}

}  // namespace minik8s::patch
