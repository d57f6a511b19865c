// Encoding of the HTTP API's answers: objects and lists in the negotiated
// format, meta.k8s.io/v1 Tables and PartialObjectMetadata, Status errors,
// /version and /metrics.
//
// Thread safety: pure functions (the metrics registry is thread-safe).
#ifndef MINIK8S_APISERVER_REST_ENCODING_H_
#define MINIK8S_APISERVER_REST_ENCODING_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/scheme.h"
#include "apiserver/rest/http_types.h"
#include "apiserver/rest/negotiation.h"
#include "apiserver/v1/apiserver.pb.h"
#include "google/protobuf/message.h"
#include "k8s/meta/v1/meta.pb.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::apiserver::rest {

// `s` escaped for the inside of a JSON string.
std::string JsonEscape(absl::string_view s);

// The meta.k8s.io/v1 Status of an API error (Failure, with its HTTP code).
meta::v1::Status ErrorStatus(const absl::Status& status);
// The HTTP code and JSON meta.k8s.io/v1 Status body of an API error.
std::pair<int, std::string> EncodeError(const absl::Status& status);

// The object in `format` (kJson, kYaml, kProtobuf or kMetadata; kTable is
// not an object format and gives JSON), with apiVersion and kind set.
// `kind` names the object's kind for PartialObjectMetadata.
std::string EncodeObject(const google::protobuf::Message& object, Format format,
                         const api::KindInfo* kind = nullptr);
// A list message (PodList, ...) in `format`; kMetadata gives a
// PartialObjectMetadataList.
std::string EncodeList(const google::protobuf::Message& list, Format format);
// The object's JSON with apiVersion and kind set (copies only when they are
// missing).
std::string ObjectJson(const google::protobuf::Message& object);

// A meta.k8s.io/v1 Table of `objects` (of `kind`) with Kubernetes' columns;
// `request` supplies includeObject (Metadata by default, None, Object).
std::string EncodeTable(const api::KindInfo& kind,
                        const std::vector<const google::protobuf::Message*>& objects,
                        const std::string& resource_version, const std::string& continue_token,
                        std::optional<int64_t> remaining, const HttpRequest& request,
                        bool column_definitions = true);

// BadRequest when the request's Table options (includeObject) are invalid.
absl::Status CheckTableOptions(const HttpRequest& request);

// The message a Get/Update/Patch answered: `kind`'s object, or an
// autoscaling/v1 Scale for the scale subresource; apiVersion/kind set.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ParseResponseObject(
    const api::KindInfo& kind, const std::string& subresource, const std::string& bytes);
// Fills `list` (kind's list message) from a ListResponse.
absl::Status FillList(const api::KindInfo& kind, const v1::ListResponse& response,
                      google::protobuf::Message* list);
// The items of a list message.
std::vector<const google::protobuf::Message*> ListItems(const google::protobuf::Message& list);

// A JSON (or YAML) request body as a node tree; BadRequest when malformed.
absl::StatusOr<YAML::Node> ParseJsonBody(absl::string_view body);

// /version: version.Info.
std::string VersionJson();
// /metrics: the process's metrics in Prometheus' text format.
std::string MetricsText();

}  // namespace minik8s::apiserver::rest

#endif  // MINIK8S_APISERVER_REST_ENCODING_H_
