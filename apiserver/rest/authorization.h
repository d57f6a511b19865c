// The authorization attributes of an HTTP API request, as kube-apiserver's
// RequestInfoFactory gives them to its authorizers: a resource request
// (request_info.h) with its verb, group, resource, subresource, namespace
// and name (a namespace object's own namespace is its name:
// /api/v1/namespaces/dev is namespace dev); any other path is a
// non-resource request whose verb is the lower-case method.
//
// Thread safety: a pure function.
#ifndef MINIK8S_APISERVER_REST_AUTHORIZATION_H_
#define MINIK8S_APISERVER_REST_AUTHORIZATION_H_

#include <optional>

#include "apiserver/authn/authenticator.h"
#include "apiserver/authz/authorizer.h"
#include "apiserver/rest/http_types.h"
#include "apiserver/rest/request_info.h"

namespace minik8s::apiserver::rest {

// `user` is borrowed by the result.
authz::Attributes RequestAttributes(const HttpRequest& request,
                                    const std::optional<RequestInfo>& info,
                                    const authn::UserInfo& user);

}  // namespace minik8s::apiserver::rest

#endif  // MINIK8S_APISERVER_REST_AUTHORIZATION_H_
