#include "apiserver/authz/access_review.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/errors.h"

namespace minik8s::apiserver::authz {
namespace {

namespace authzv1 = ::minik8s::authorization::v1;

// The attributes a review's spec asks about, for `user` (borrowed).
Attributes AttributesOf(const authzv1::ResourceAttributes* resource,
                        const authzv1::NonResourceAttributes* non_resource,
                        const authn::UserInfo& user) {
  Attributes attributes;
  attributes.user = &user;
  if (resource != nullptr) {
    attributes.resource_request = true;
    attributes.verb = resource->verb();
    attributes.namespace_ = resource->namespace_();
    attributes.api_group = resource->group();
    attributes.api_version = resource->version();
    attributes.resource = resource->resource();
    attributes.subresource = resource->subresource();
    attributes.name = resource->name();
  } else if (non_resource != nullptr) {
    attributes.verb = non_resource->verb();
    attributes.path = non_resource->path();
  }
  return attributes;
}

// ValidateSubjectAccessReviewSpec's checks of the attributes, as field
// errors ("spec.resourceAttributes: Invalid value: ...").
std::vector<std::string> AttributeErrors(bool has_resource, bool has_non_resource) {
  if (has_resource && has_non_resource) {
    return {
        "spec.nonResourceAttributes: Invalid value: \"null\": cannot be specified in "
        "combination with resourceAttributes"};
  }
  if (!has_resource && !has_non_resource) {
    return {
        "spec.resourceAttributes: Invalid value: \"null\": exactly one of "
        "nonResourceAttributes or resourceAttributes must be specified"};
  }
  return {};
}

// apierrors.NewInvalid of a review kind: one error as itself, several as
// `[a, b]`.
absl::Status InvalidReview(absl::string_view kind, const std::vector<std::string>& errors) {
  const std::string what =
      errors.size() == 1 ? errors[0] : absl::StrCat("[", absl::StrJoin(errors, ", "), "]");
  return api::NewInvalid(absl::StrCat(kind, ".authorization.k8s.io \"\" is invalid: ", what));
}

void SetStatus(const Result& result, authzv1::SubjectAccessReviewStatus* status) {
  status->set_allowed(result.decision == Decision::kAllow);
  status->set_denied(result.decision == Decision::kDeny);
  status->set_reason(result.reason);
}

Result Decide(const Authorizer* authorizer, const Attributes& attributes) {
  return authorizer != nullptr ? authorizer->Authorize(attributes) : Result{Decision::kAllow, ""};
}

absl::Status ReviewRules(const Authorizer* authorizer, const authn::UserInfo& user,
                         authzv1::SelfSubjectRulesReview* review) {
  const std::string ns = review->spec().namespace_();
  if (ns.empty()) return api::NewBadRequest("no namespace on request");
  RuleList rules;
  if (authorizer != nullptr) {
    authorizer->RulesFor(user, ns, &rules);
  } else {
    AlwaysAllowAuthorizer().RulesFor(user, ns, &rules);
  }
  // Kubernetes answers with a new object that holds the status only.
  review->Clear();
  review->set_api_version(absl::StrCat(kAccessReviewGroup, "/v1"));
  review->set_kind("SelfSubjectRulesReview");
  auto* status = review->mutable_status();
  for (const ResourceRuleInfo& r : rules.resource_rules) {
    auto* out = status->add_resource_rules();
    out->mutable_verbs()->Assign(r.verbs.begin(), r.verbs.end());
    out->mutable_api_groups()->Assign(r.api_groups.begin(), r.api_groups.end());
    out->mutable_resources()->Assign(r.resources.begin(), r.resources.end());
    out->mutable_resource_names()->Assign(r.resource_names.begin(), r.resource_names.end());
  }
  for (const NonResourceRuleInfo& r : rules.non_resource_rules) {
    auto* out = status->add_non_resource_rules();
    out->mutable_verbs()->Assign(r.verbs.begin(), r.verbs.end());
    out->mutable_non_resource_urls()->Assign(r.non_resource_urls.begin(),
                                             r.non_resource_urls.end());
  }
  status->set_incomplete(rules.incomplete);
  // utilerrors.NewAggregate, flattened and without repeats.
  std::vector<std::string> errors;
  for (const std::string& e : rules.errors) {
    if (std::find(errors.begin(), errors.end(), e) == errors.end()) errors.push_back(e);
  }
  if (errors.size() == 1) status->set_evaluation_error(errors[0]);
  if (errors.size() > 1) {
    status->set_evaluation_error(absl::StrCat("[", absl::StrJoin(errors, ", "), "]"));
  }
  return absl::OkStatus();
}

absl::Status ReviewSubject(const Authorizer* authorizer, const std::string& ns, bool local,
                           authzv1::SubjectAccessReview* review) {
  const char* kind = local ? "LocalSubjectAccessReview" : "SubjectAccessReview";
  const auto& spec = review->spec();
  if (local && ns.empty()) {
    return api::NewBadRequest(
        absl::StrCat("namespace is required on this type: ", review->metadata().namespace_()));
  }
  std::vector<std::string> errors =
      AttributeErrors(spec.has_resource_attributes(), spec.has_non_resource_attributes());
  if (spec.user().empty() && spec.groups().empty()) {
    errors.push_back(
        "spec.user: Invalid value: \"\": at least one of user or group must be "
        "specified");
  }
  if (local && spec.has_non_resource_attributes()) {
    errors.push_back(
        "spec.nonResourceAttributes: Invalid value: \"null\": disallowed on this "
        "kind of request");
  }
  if (!errors.empty()) return InvalidReview(kind, errors);
  if (local && spec.resource_attributes().namespace_() != ns) {
    return api::NewBadRequest(
        absl::StrCat("spec.resourceAttributes.namespace must match namespace: ", ns));
  }
  authn::UserInfo subject;
  subject.name = spec.user();
  subject.uid = spec.uid();
  subject.groups.assign(spec.groups().begin(), spec.groups().end());
  for (const auto& [key, values] : spec.extra()) {
    subject.extra[key].assign(values.items().begin(), values.items().end());
  }
  const Attributes attributes = AttributesOf(
      spec.has_resource_attributes() ? &spec.resource_attributes() : nullptr,
      spec.has_non_resource_attributes() ? &spec.non_resource_attributes() : nullptr, subject);
  SetStatus(Decide(authorizer, attributes), review->mutable_status());
  review->set_api_version(absl::StrCat(kAccessReviewGroup, "/v1"));
  review->set_kind(kind);
  return absl::OkStatus();
}

}  // namespace

bool IsReviewResource(absl::string_view resource) { return ReviewKind(resource)[0] != '\0'; }

bool IsNamespacedReview(absl::string_view resource) {
  return resource == kLocalSubjectAccessReviewResource;
}

const char* ReviewKind(absl::string_view resource) {
  if (resource == kAccessReviewResource) return "SelfSubjectAccessReview";
  if (resource == kRulesReviewResource) return "SelfSubjectRulesReview";
  if (resource == kSubjectAccessReviewResource) return "SubjectAccessReview";
  if (resource == kLocalSubjectAccessReviewResource) return "LocalSubjectAccessReview";
  return "";
}

std::unique_ptr<google::protobuf::Message> NewReview(absl::string_view resource) {
  if (resource == kAccessReviewResource) {
    return std::make_unique<authzv1::SelfSubjectAccessReview>();
  }
  if (resource == kRulesReviewResource) return std::make_unique<authzv1::SelfSubjectRulesReview>();
  if (resource == kSubjectAccessReviewResource || resource == kLocalSubjectAccessReviewResource) {
    return std::make_unique<authzv1::SubjectAccessReview>();
  }
  return nullptr;
}

absl::Status AnswerReview(absl::string_view resource, const std::string& ns,
                          const Authorizer* authorizer, const authn::UserInfo& user,
                          google::protobuf::Message* review) {
  if (resource == kAccessReviewResource) {
    return Review(authorizer, user, static_cast<authzv1::SelfSubjectAccessReview*>(review));
  }
  if (resource == kRulesReviewResource) {
    return ReviewRules(authorizer, user, static_cast<authzv1::SelfSubjectRulesReview*>(review));
  }
  if (resource == kSubjectAccessReviewResource || resource == kLocalSubjectAccessReviewResource) {
    return ReviewSubject(authorizer, ns, resource == kLocalSubjectAccessReviewResource,
                         static_cast<authzv1::SubjectAccessReview*>(review));
  }
  return absl::InternalError(absl::StrCat("not a review resource: ", resource));
}

absl::Status Review(const Authorizer* authorizer, const authn::UserInfo& user,
                    authzv1::SelfSubjectAccessReview* review) {
  const auto& spec = review->spec();
  std::vector<std::string> errors =
      AttributeErrors(spec.has_resource_attributes(), spec.has_non_resource_attributes());
  if (!errors.empty()) return InvalidReview("SelfSubjectAccessReview", errors);
  const Attributes attributes = AttributesOf(
      spec.has_resource_attributes() ? &spec.resource_attributes() : nullptr,
      spec.has_non_resource_attributes() ? &spec.non_resource_attributes() : nullptr, user);
  SetStatus(Decide(authorizer, attributes), review->mutable_status());
  review->set_api_version(absl::StrCat(kAccessReviewGroup, "/v1"));
  review->set_kind("SelfSubjectAccessReview");
  return absl::OkStatus();
}

}  // namespace minik8s::apiserver::authz
