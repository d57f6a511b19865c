#include "apiserver/rest/authorization.h"

#include "absl/strings/ascii.h"

namespace minik8s::apiserver::rest {

authz::Attributes RequestAttributes(const HttpRequest& request,
                                    const std::optional<RequestInfo>& info,
                                    const authn::UserInfo& user) {
  authz::Attributes attributes;
  attributes.user = &user;
  if (!info.has_value()) {
    attributes.verb = absl::AsciiStrToLower(request.method);
    attributes.path = request.path;
    return attributes;
  }
  attributes.resource_request = true;
  attributes.verb = info->verb.empty() ? absl::AsciiStrToLower(request.method) : info->verb;
  attributes.api_group = info->group;
  attributes.api_version = info->version;
  attributes.resource = info->resource;
  attributes.subresource = info->subresource;
  attributes.name = info->name;
  attributes.namespace_ = info->namespace_;
  if (info->resource == "namespaces" && attributes.namespace_.empty()) {
    attributes.namespace_ = info->name;
  }
  return attributes;
}

}  // namespace minik8s::apiserver::rest
