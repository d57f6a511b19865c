// kubectl's JSONPath dialect (`-o jsonpath=`, `custom-columns`): a template
// of literal text and `{...}` actions evaluated against an object as JSON.
//
// Actions: `.field` (`\.` escapes a dot in a key), `['key']`, `[n]` (negative
// counts from the end), slices `[a:b:step]`, `[*]`, unions `[a,b]`, `.*`,
// recursive descent `..field`, filters `[?(@.x=="y")]` with == != < > <= >=
// (no operator: the path exists), `range`/`end`, string literals
// (`{"\n"}`), `@` and `$` (both the current object, as in kubectl: inside a
// range `$` is the item). Parse and evaluation errors are kubectl's words.
//
// Printing as kubectl does: the results of one action are separated by a
// space; strings print as they are, numbers and booleans as Go prints them,
// maps and lists as compact JSON (keys sorted). Where kubectl's order is Go's
// random map order (`.*` and `..` over a map), keys are taken sorted.
//
// Thread safety: a parsed Template is immutable; Evaluate is const and may
// run concurrently.
#ifndef MINIK8S_KUBECTL_PRINTERS_JSONPATH_H_
#define MINIK8S_KUBECTL_PRINTERS_JSONPATH_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::kubectl::jsonpath {

// A JSON value as kubectl's unstructured objects hold them (integers stay
// integers, map keys sorted).
struct Value {
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string string;
  std::vector<Value> array;
  std::map<std::string, Value> object;

  static Value String(std::string s);
  static Value Int(int64_t i);
};

// From a YAML node tree (api::EncodeNode output: strings tagged "!"; plain
// scalars resolved as YAML 1.2's core schema).
Value FromNode(const YAML::Node& node);
// The object as `kubectl get -o json` shows it (apiVersion and kind must be
// set on it).
Value FromMessage(const google::protobuf::Message& message);
// kubectl's `kind: List` wrapper (apiVersion v1, metadata.resourceVersion "").
Value ListOf(std::vector<Value> items);

// Go's encodings of a value: json.Marshal (compact, keys sorted, <>& escaped),
// json.MarshalIndent with 4 spaces, fmt's %v (`map[a:b]`, `[x y]`) and %#v
// (`map[string]interface {}{"a":"b"}`).
std::string ToJson(const Value& value);
std::string ToIndentedJson(const Value& value);
std::string GoString(const Value& value);
std::string GoSyntax(const Value& value);
// strconv.Quote.
std::string GoQuote(std::string_view s);

struct Node;

class Template {
 public:
  // InvalidArgument with the parser's message (e.g. "unterminated array",
  // "unclosed action") for a malformed template.
  static absl::StatusOr<Template> Parse(std::string_view text);

  // The results of each top-level action (and literal text), as kubectl's
  // FindResults: inside a range, one list per action per item. With
  // `allow_missing_keys` false a missing field is an error ("x is not found").
  // The pointers point into `root` or into this template.
  absl::StatusOr<std::vector<std::vector<const Value*>>> FindResults(const Value& root,
                                                                     bool allow_missing_keys) const;

  // The printed text. `output_json`: every result list as an indented JSON
  // array (`-o jsonpath-as-json`).
  absl::StatusOr<std::string> Execute(const Value& root, bool allow_missing_keys,
                                      bool output_json = false) const;

 private:
  std::shared_ptr<const std::vector<Node>> root_;
};

// `kubectl get -o jsonpath=`'s output for `root`, or its error message
// (without "error: "): a parse error as "error parsing jsonpath T, MSG", an
// evaluation error with kubectl's dump of the template and the object.
absl::StatusOr<std::string> PrintJsonPath(const std::string& text, const Value& root,
                                          bool allow_missing_keys, bool output_json);

}  // namespace minik8s::kubectl::jsonpath

#endif  // MINIK8S_KUBECTL_PRINTERS_JSONPATH_H_
