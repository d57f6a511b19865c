// meta.k8s.io/v1 Table as JSON text, as kube-apiserver answers
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (see
// apiserver pkg/endpoints/handlers/response.go and the printers of
// pkg/printers/internalversion):
//
//   {"kind":"Table","apiVersion":"meta.k8s.io/v1",
//    "metadata":{"resourceVersion":"42"},
//    "columnDefinitions":[{"name":"Name","type":"string","format":"name",
//                          "description":"...","priority":0},...],
//    "rows":[{"cells":["web-1","1/1","Running","0","5m",...],
//             "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
//                       "metadata":{"name":"web-1",...}}}]}
//
// Every column is sent, the `-o wide` ones with `priority: 1` (the server
// prints wide; clients hide priority-1 columns). Cells are typed as
// Kubernetes' printers type them: integers as JSON numbers, text as strings.
// Ages are relative to the `now` given, as the server computes them when it
// answers.
//
// Watch: kube-apiserver sends one Table per watch event, with one row, and
// only the first event of a stream carries column definitions (the handler
// turns on TableOptions.NoHeaders after the first object, so later tables
// have `"columnDefinitions":null`); kubectl keeps the columns of the last
// table that had them. `include_column_definitions` selects either form.
//
// Thread safety: pure functions.
#ifndef MINIK8S_PRINTERS_TABLE_JSON_H_
#define MINIK8S_PRINTERS_TABLE_JSON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/scheme.h"
#include "google/protobuf/message.h"

namespace minik8s::printers {

// What each row's `object` holds (the `includeObject` query parameter).
enum class IncludeObject {
  kNone,      // "None": `"object":null`
  kMetadata,  // "Metadata" (default): a meta.k8s.io/v1 PartialObjectMetadata
  kObject,    // "Object": the full object, as api::EncodeJson writes it
};

// Parses `includeObject`: "None", "Metadata", "Object", or empty (Metadata).
// Anything else is InvalidArgument with Kubernetes' field error:
// `includeObject: Invalid value: "x": must be 'Metadata', 'Object', 'None', or empty`.
absl::StatusOr<IncludeObject> ParseIncludeObject(std::string_view value);

struct TableJsonOptions {
  // The Table's metadata (ListMeta); empty / unset fields are omitted.
  std::string resource_version;
  std::string continue_token;
  std::optional<int64_t> remaining_item_count;
  // The time ages are computed at.
  absl::Time now = absl::UnixEpoch();
  IncludeObject include_object = IncludeObject::kMetadata;
  // False: `"columnDefinitions":null` (watch events after the first).
  bool include_column_definitions = true;
};

// The Table of `objects`, messages of `kind` (api/scheme.h), one row each in
// order. Objects must outlive the call. A message of another type than
// `kind`'s prints empty cells (never crashes).
std::string EncodeTableJson(const api::KindInfo& kind,
                            const std::vector<const google::protobuf::Message*>& objects,
                            const TableJsonOptions& options);

// The Table of one object, as a GET of one object or a watch event carries
// it: when `options.resource_version` is empty it is the object's
// metadata.resourceVersion (as Kubernetes fills it for a single object).
std::string EncodeObjectTableJson(const api::KindInfo& kind,
                                  const google::protobuf::Message& object,
                                  TableJsonOptions options);

// `s` as a JSON string literal; bytes that are not valid UTF-8 become U+FFFD
// (as Go's encoding/json does), so the result is always valid JSON.
std::string JsonString(std::string_view s);

}  // namespace minik8s::printers

#endif  // MINIK8S_PRINTERS_TABLE_JSON_H_
