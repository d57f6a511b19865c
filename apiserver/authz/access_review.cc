#include "apiserver/authz/access_review.h"

#include "absl/strings/str_cat.h"
#include "api/errors.h"

namespace minik8s::apiserver::authz {

absl::Status Review(const Authorizer* authorizer, const authn::UserInfo& user,
                    authorization::v1::SelfSubjectAccessReview* review) {
  const auto& spec = review->spec();
  if (spec.has_resource_attributes() == spec.has_non_resource_attributes()) {
    const char* detail = spec.has_resource_attributes()
                             ? "cannot be specified in combination with resourceAttributes"
                             : "exactly one of nonResourceAttributes or resourceAttributes must "
                               "be specified";
    return api::NewInvalid(absl::StrCat(
        "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: ",
        spec.has_resource_attributes() ? "spec.nonResourceAttributes" : "spec.resourceAttributes",
        ": Invalid value: \"null\": ", detail));
  }
  Attributes attributes;
  attributes.user = &user;
  if (spec.has_resource_attributes()) {
    const auto& r = spec.resource_attributes();
    attributes.resource_request = true;
    attributes.verb = r.verb();
    attributes.namespace_ = r.namespace_();
    attributes.api_group = r.group();
    attributes.api_version = r.version();
    attributes.resource = r.resource();
    attributes.subresource = r.subresource();
    attributes.name = r.name();
  } else {
    attributes.verb = spec.non_resource_attributes().verb();
    attributes.path = spec.non_resource_attributes().path();
  }
  Result result =
      authorizer != nullptr ? authorizer->Authorize(attributes) : Result{Decision::kAllow, ""};
  auto* status = review->mutable_status();
  status->set_allowed(result.decision == Decision::kAllow);
  status->set_denied(result.decision == Decision::kDeny);
  status->set_reason(result.reason);
  review->set_api_version(absl::StrCat(kAccessReviewGroup, "/v1"));
  review->set_kind("SelfSubjectAccessReview");
  return absl::OkStatus();
}

}  // namespace minik8s::apiserver::authz
