// The codec: Kubernetes JSON/YAML text ⇄ the protobuf API types, driven by
// protobuf reflection (no per-type code). Field names are the messages' JSON
// names, which equal Kubernetes'.
//
// Decoding is strict, like `kubectl apply` against a real apiserver:
//   - an unknown or duplicated field, a value of the wrong type (`replicas:
//     "3"`, `value: 3` for a string, a list where a map is expected), an
//     integer out of range, a boolean other than true/false, a bad quantity,
//     int-or-string or timestamp is an error;
//   - errors name the line and column (1-based) and the field path:
//     `line 9, column 19: spec.replicas: expected int32, got string "3"`,
//     `line 12, column 9: unknown field "spec.template.spec.containers[0].imagePolicy"`;
//   - `null` leaves a field unset; quantities are stored canonical (`0.5` →
//     `500m`); times are truncated to their precision (seconds for Time,
//     microseconds for MicroTime).
// The top-level type is chosen by apiVersion + kind through a Scheme; a
// missing apiVersion/kind or an unknown kind is an error. Input may be YAML
// (several documents separated by `---`) or JSON. A `kind: List` document
// (apiVersion v1) is expanded into its items by DecodeAll.
//
// Encoding prints fields in declaration order (JSON) or sorted by name
// (YAML, as kubectl does), omits unset messages and empty scalars, lists and
// maps (Kubernetes' omitempty), prints set proto3 `optional` fields even when
// zero (`replicas: 0`), prints a set message even when empty (`status: {}`),
// sorts map keys, and writes quantities, int-or-strings and times in their
// Kubernetes string (or int) form.
//
// Round trip: Decode(Encode*(m)) equals m for every message Decode produces.
//
// Thread safety: all functions are safe to call concurrently; the Scheme must
// not be modified meanwhile.
#ifndef MINIK8S_API_CODEC_H_
#define MINIK8S_API_CODEC_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/scheme.h"
#include "google/protobuf/message.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::api {

struct DecodedObject {
  // The kind the object was decoded as (for a list: the listed kind).
  const KindInfo* kind = nullptr;
  // True when the document was a list kind (`PodList`).
  bool is_list = false;
  std::unique_ptr<google::protobuf::Message> object;
};

// Decodes the only object in `text` (empty documents are skipped). Error
// when there are no objects or more than one.
absl::StatusOr<DecodedObject> Decode(std::string_view text,
                                     const Scheme& scheme = Scheme::Default());

// Decodes every object in `text`, in order; `kind: List` items are expanded.
absl::StatusOr<std::vector<DecodedObject>> DecodeAll(std::string_view text,
                                                     const Scheme& scheme = Scheme::Default());

// Decodes the only object in `text` into `out` (cleared first), for callers
// that know the type. apiVersion/kind may be absent; when present and `out`'s
// type is registered in `scheme` they must name that type.
absl::Status DecodeInto(std::string_view text, google::protobuf::Message* out,
                        const Scheme& scheme = Scheme::Default());

template <typename T>
absl::StatusOr<T> DecodeAs(std::string_view text, const Scheme& scheme = Scheme::Default()) {
  T out;
  absl::Status status = DecodeInto(text, &out, scheme);
  if (!status.ok()) return status;
  return out;
}

// Strictly decodes an already parsed YAML/JSON node into `out` (merged into
// its current contents; clear it first for a fresh decode). Quoted scalars
// (tag "!") are strings; plain ones resolve as in yaml_scalar.h; nodes built
// in code with no tag resolve like plain ones. `path` prefixes field paths
// in errors.
absl::Status DecodeNode(const YAML::Node& node, google::protobuf::Message* out,
                        std::string_view path = "");

// Decoding that tolerates unknown fields, as kube-apiserver's
// fieldValidation=Ignore and Warn do: an unknown field is dropped and its
// path ("spec.foo", "spec.template.spec.containers[0].bar") appended to
// `unknown_fields` when that is set. Everything else stays strict.
struct DecodeOptions {
  bool allow_unknown_fields = false;
  std::vector<std::string>* unknown_fields = nullptr;  // borrowed; may be null
};
absl::StatusOr<DecodedObject> Decode(std::string_view text, const DecodeOptions& options,
                                     const Scheme& scheme = Scheme::Default());
absl::Status DecodeInto(std::string_view text, google::protobuf::Message* out,
                        const DecodeOptions& options, const Scheme& scheme = Scheme::Default());
absl::Status DecodeNode(const YAML::Node& node, google::protobuf::Message* out,
                        const DecodeOptions& options, std::string_view path = "");

// JSON: compact (`{"apiVersion":"v1",...}`) or indented with 4 spaces like
// `kubectl get -o json`. Neither ends with a newline.
std::string EncodeJson(const google::protobuf::Message& message);
std::string EncodeJsonIndented(const google::protobuf::Message& message);
// YAML block style like `kubectl get -o yaml`; ends with a newline.
std::string EncodeYaml(const google::protobuf::Message& message);
// The message as a YAML node tree (strings tagged "!" so that DecodeNode
// reads them back as strings), e.g. to apply a JSON merge patch.
YAML::Node EncodeNode(const google::protobuf::Message& message);

}  // namespace minik8s::api

#endif  // MINIK8S_API_CODEC_H_
