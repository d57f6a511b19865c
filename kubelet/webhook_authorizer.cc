#include "kubelet/webhook_authorizer.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace minik8s::kubelet {

namespace authzv1 = ::minik8s::authorization::v1;

namespace {

// Appends `s` so that no two sequences of fields give the same key.
void AppendField(std::string* key, absl::string_view s) {
  absl::StrAppend(key, s.size(), ":", s, ";");
}

// The cache key: every field of the review's spec.
std::string CacheKey(const KubeletUser& user, const NodeAttributes& attributes) {
  std::string key;
  AppendField(&key, user.name);
  AppendField(&key, user.uid);
  absl::StrAppend(&key, user.groups.size(), "g");
  for (const std::string& group : user.groups) AppendField(&key, group);
  absl::StrAppend(&key, user.extra.size(), "x");  // a std::map: in key order
  for (const auto& [name, values] : user.extra) {
    AppendField(&key, name);
    absl::StrAppend(&key, values.size(), "v");
    for (const std::string& value : values) AppendField(&key, value);
  }
  AppendField(&key, attributes.verb);
  AppendField(&key, attributes.subresource);
  AppendField(&key, attributes.name);
  return key;
}

class ApiSubjectAccessReviewer : public SubjectAccessReviewer {
 public:
  explicit ApiSubjectAccessReviewer(client::ApiClient* api) : api_(api) {}

  absl::StatusOr<authzv1::SubjectAccessReview> Review(
      const authzv1::SubjectAccessReview& review) override {
    authzv1::SubjectAccessReview answer;
    if (absl::Status s = api_->Create("subjectaccessreviews", "", review, &answer); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("SubjectAccessReview: ", s.message()));
    }
    return answer;
  }

 private:
  client::ApiClient* const api_;
};

}  // namespace

authzv1::SubjectAccessReview NodeSubjectAccessReview(const KubeletUser& user,
                                                     const NodeAttributes& attributes) {
  authzv1::SubjectAccessReview review;
  review.set_api_version("authorization.k8s.io/v1");
  review.set_kind("SubjectAccessReview");
  auto* spec = review.mutable_spec();
  spec->set_user(user.name);
  spec->set_uid(user.uid);
  for (const std::string& group : user.groups) spec->add_groups(group);
  for (const auto& [name, values] : user.extra) {
    auto& out = (*spec->mutable_extra())[name];
    for (const std::string& value : values) out.add_items(value);
  }
  auto* resource = spec->mutable_resource_attributes();
  resource->set_verb(attributes.verb);
  resource->set_version("v1");
  resource->set_resource("nodes");
  resource->set_subresource(attributes.subresource);
  resource->set_name(attributes.name);
  return review;
}

std::unique_ptr<SubjectAccessReviewer> NewApiSubjectAccessReviewer(client::ApiClient* api) {
  return std::make_unique<ApiSubjectAccessReviewer>(api);
}

WebhookAuthorizer::WebhookAuthorizer(SubjectAccessReviewer* reviewer, common::Clock* clock,
                                     Options options)
    : reviewer_(reviewer), clock_(clock), options_(options), answers_(options.max_entries) {}

absl::StatusOr<bool> WebhookAuthorizer::Authorize(const KubeletUser& user,
                                                  const NodeAttributes& attributes) {
  const std::string key = CacheKey(user, attributes);
  {
    absl::MutexLock lock(&mu_);
    if (std::optional<bool> cached = answers_.Get(key, clock_->Now()); cached.has_value()) {
      return *cached;
    }
  }
  absl::StatusOr<authzv1::SubjectAccessReview> answer =
      reviewer_->Review(NodeSubjectAccessReview(user, attributes));
  if (!answer.ok()) return answer.status();
  const bool allowed = answer->status().allowed();
  const absl::Duration ttl = allowed ? options_.authorized_ttl : options_.unauthorized_ttl;
  if (ttl <= absl::ZeroDuration()) return allowed;
  absl::MutexLock lock(&mu_);
  answers_.Put(key, allowed, clock_->Now() + ttl);
  return allowed;
}

size_t WebhookAuthorizer::cached() const {
  absl::MutexLock lock(&mu_);
  return answers_.size();
}

}  // namespace minik8s::kubelet
