#include "apiserver/rest/request_info.h"

#include <vector>

#include "absl/strings/str_split.h"

namespace minik8s::apiserver::rest {

bool ParseBoolParam(absl::string_view value) {
  return value == "1" || value == "t" || value == "T" || value == "true" || value == "TRUE" ||
         value == "True";
}

std::optional<RequestInfo> ParseRequestInfo(const HttpRequest& request) {
  std::vector<absl::string_view> parts = absl::StrSplit(request.path, '/', absl::SkipEmpty());
  RequestInfo info;
  size_t i = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    info.version = std::string(parts[1]);
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    info.group = std::string(parts[1]);
    info.version = std::string(parts[2]);
    i = 3;
  } else {
    return std::nullopt;
  }
  bool watch_path = false;
  if (i < parts.size() && parts[i] == "watch") {
    watch_path = true;
    ++i;
  }
  std::vector<absl::string_view> rest(parts.begin() + i, parts.end());
  if (rest.empty()) return std::nullopt;
  // namespaces/<ns>/<resource>/...; but namespaces/<name>[/status|finalize]
  // is the namespace itself.
  if (rest[0] == "namespaces" && rest.size() > 1) {
    info.namespace_ = std::string(rest[1]);
    if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize") {
      rest.erase(rest.begin(), rest.begin() + 2);
    } else {
      info.namespace_.clear();
      info.name = std::string(rest[1]);
      info.resource = "namespaces";
      if (rest.size() > 2) info.subresource = std::string(rest[2]);
      if (rest.size() > 3) return std::nullopt;
      rest.clear();
    }
  }
  if (!rest.empty()) {
    if (rest.size() > 3) return std::nullopt;
    info.resource = std::string(rest[0]);
    if (rest.size() > 1) info.name = std::string(rest[1]);
    if (rest.size() > 2) info.subresource = std::string(rest[2]);
  }
  const bool collection = info.name.empty();
  const std::string& m = request.method;
  if (m == "GET" || m == "HEAD") {
    if (collection) {
      info.verb = watch_path || ParseBoolParam(request.Query("watch")) ? "watch" : "list";
    } else {
      info.verb = watch_path ? "watch" : "get";
    }
  } else if (m == "POST") {
    info.verb = "create";
  } else if (m == "PUT") {
    info.verb = "update";
  } else if (m == "PATCH") {
    info.verb = "patch";
  } else if (m == "DELETE") {
    info.verb = collection ? "deletecollection" : "delete";
  }
  return info;
}

}  // namespace minik8s::apiserver::rest
