// What a Kubernetes API path names, as kube-apiserver's RequestInfoFactory
// reads it:
//   /api/v1/namespaces/default/pods/web/status
//     → group "", version v1, namespace default, resource pods, name web,
//       subresource status
//   /apis/apps/v1/deployments                 → list across namespaces
//   /api/v1/namespaces/default                → the namespace object itself
//   /api/v1/namespaces/default/status         → its status subresource
//   /api/v1/watch/namespaces/default/pods     → legacy watch path
// The verb follows the method and the shape: GET on a collection is list
// (watch with ?watch=true|1|True, or under /watch/), on an item get; POST
// create; PUT update; PATCH patch; DELETE on an item delete, on a
// collection deletecollection.
//
// Thread safety: pure functions.
#ifndef MINIK8S_APISERVER_REST_REQUEST_INFO_H_
#define MINIK8S_APISERVER_REST_REQUEST_INFO_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "apiserver/rest/http_types.h"

namespace minik8s::apiserver::rest {

struct RequestInfo {
  std::string group;
  std::string version;
  std::string namespace_;
  std::string resource;
  std::string name;
  std::string subresource;
  // get, list, watch, create, update, patch, delete, deletecollection;
  // "" for a method the API does not serve.
  std::string verb;
};

// The resource request `request` names, or nullopt when its path is not
// under /api/v1 or /apis/<group>/<version> with a resource.
std::optional<RequestInfo> ParseRequestInfo(const HttpRequest& request);

// Kubernetes accepts watch=true, 1 and True (strconv.ParseBool).
bool ParseBoolParam(absl::string_view value);

}  // namespace minik8s::apiserver::rest

#endif  // MINIK8S_APISERVER_REST_REQUEST_INFO_H_
