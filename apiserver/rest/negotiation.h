// Content negotiation of the Kubernetes HTTP API: which encoding a response
// takes (from the Accept header) and how a request body is read (from its
// Content-Type), as kube-apiserver negotiates them.
//
// Responses: application/json (also */*, application/*, and a missing
// Accept), application/yaml, application/vnd.kubernetes.protobuf, and the
// meta.k8s.io/v1 views `application/json;as=Table;v=v1;g=meta.k8s.io` (get,
// list, watch) and `as=PartialObjectMetadata` / `PartialObjectMetadataList`.
// The first acceptable entry of the Accept list wins; none acceptable is
// 406 NotAcceptable.
//
// Thread safety: pure functions.
#ifndef MINIK8S_APISERVER_REST_NEGOTIATION_H_
#define MINIK8S_APISERVER_REST_NEGOTIATION_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minik8s::apiserver::rest {

inline constexpr char kJsonType[] = "application/json";
inline constexpr char kYamlType[] = "application/yaml";
inline constexpr char kProtobufType[] = "application/vnd.kubernetes.protobuf";
inline constexpr char kMergePatchType[] = "application/merge-patch+json";
inline constexpr char kStrategicMergePatchType[] = "application/strategic-merge-patch+json";
inline constexpr char kJsonPatchType[] = "application/json-patch+json";
inline constexpr char kApplyPatchType[] = "application/apply-patch+yaml";

struct MediaType {
  std::string type;  // lower case, "application/json"
  std::map<std::string, std::string> params;
};

// Splits an Accept or Content-Type value ("a/b;x=y, c/d") into media types.
std::vector<MediaType> ParseMediaTypes(absl::string_view header);

enum class Format { kJson, kYaml, kProtobuf, kTable, kMetadata };

// The response format for `accept`. `table_allowed`: the verb is get, list
// or watch. Error: 406 NotAcceptable.
absl::StatusOr<Format> NegotiateResponse(absl::string_view accept, bool table_allowed);
const char* ContentTypeOf(Format format);

// The media type of a request body ("" Content-Type counts as JSON), lower
// case and without parameters.
std::string BodyMediaType(absl::string_view content_type);

// 415 UnsupportedMediaType naming what is accepted.
absl::Status UnsupportedMediaType(absl::string_view got, const std::vector<std::string>& accepted);

}  // namespace minik8s::apiserver::rest

#endif  // MINIK8S_APISERVER_REST_NEGOTIATION_H_
