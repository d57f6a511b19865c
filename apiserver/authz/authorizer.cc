#include "apiserver/authz/authorizer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/errors.h"

namespace minik8s::apiserver::authz {

Result PrivilegedGroupsAuthorizer::Authorize(const Attributes& attributes) const {
  if (attributes.user != nullptr) {
    const auto& groups = attributes.user->groups;
    if (std::find(groups.begin(), groups.end(), kSystemMastersGroup) != groups.end()) {
      return {Decision::kAllow, ""};
    }
  }
  return {Decision::kNoOpinion, ""};
}

Result UnionAuthorizer::Authorize(const Attributes& attributes) const {
  std::vector<std::string> reasons;
  for (const auto& authorizer : authorizers_) {
    Result result = authorizer->Authorize(attributes);
    if (result.decision != Decision::kNoOpinion) return result;
    if (!result.reason.empty()) reasons.push_back(std::move(result.reason));
  }
  return {Decision::kNoOpinion, absl::StrJoin(reasons, "\n")};
}

void UnionAuthorizer::RulesFor(const authn::UserInfo& user, const std::string& ns,
                               RuleList* out) const {
  for (const auto& authorizer : authorizers_) authorizer->RulesFor(user, ns, out);
}

absl::StatusOr<std::vector<std::string>> ParseModes(absl::string_view flag) {
  std::vector<std::string> modes;
  for (absl::string_view mode : absl::StrSplit(flag, ',')) {
    mode = absl::StripAsciiWhitespace(mode);
    if (mode != "AlwaysAllow" && mode != "AlwaysDeny" && mode != "Node" && mode != "RBAC") {
      return absl::InvalidArgumentError(
          absl::StrCat("authorization-mode \"", mode,
                       "\" is not a valid mode (supported: AlwaysAllow, AlwaysDeny, Node, RBAC)"));
    }
    if (std::find(modes.begin(), modes.end(), mode) != modes.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("authorization-mode \"", mode, "\" has mode specified more than once"));
    }
    modes.emplace_back(mode);
  }
  return modes;
}

absl::Status ForbiddenError(const Attributes& attributes, absl::string_view reason) {
  const std::string user = attributes.user != nullptr ? attributes.user->name : "";
  std::string detail;
  if (!attributes.resource_request) {
    detail = absl::StrCat("User \"", user, "\" cannot ", attributes.verb, " path \"",
                          attributes.path, "\"");
  } else {
    std::string resource = attributes.resource;
    if (!attributes.subresource.empty()) absl::StrAppend(&resource, "/", attributes.subresource);
    detail = absl::StrCat("User \"", user, "\" cannot ", attributes.verb, " resource \"", resource,
                          "\" in API group \"", attributes.api_group, "\"");
    if (!attributes.namespace_.empty()) {
      absl::StrAppend(&detail, " in the namespace \"", attributes.namespace_, "\"");
    } else {
      absl::StrAppend(&detail, " at the cluster scope");
    }
  }
  if (!reason.empty()) absl::StrAppend(&detail, ": ", reason);
  // apierrors.NewForbidden(groupResource, name, err).
  std::string message;
  meta::v1::StatusDetails details;
  if (!attributes.resource_request || attributes.resource.empty()) {
    message = absl::StrCat("forbidden: ", detail);
  } else {
    std::string group_resource = attributes.resource;
    if (!attributes.api_group.empty()) absl::StrAppend(&group_resource, ".", attributes.api_group);
    message = attributes.name.empty() ? absl::StrCat(group_resource, " is forbidden: ", detail)
                                      : absl::StrCat(group_resource, " \"", attributes.name,
                                                     "\" is forbidden: ", detail);
    details.set_name(attributes.name);
    details.set_group(attributes.api_group);
    details.set_kind(attributes.resource);
  }
  return api::NewApiError(absl::StatusCode::kPermissionDenied, api::kReasonForbidden, 403, message,
                          details);
}

absl::Status Check(const Authorizer& authorizer, const Attributes& attributes) {
  Result result = authorizer.Authorize(attributes);
  if (result.decision == Decision::kAllow) return absl::OkStatus();
  return ForbiddenError(attributes, result.reason);
}

}  // namespace minik8s::apiserver::authz
