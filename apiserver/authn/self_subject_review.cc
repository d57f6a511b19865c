#include "apiserver/authn/self_subject_review.h"

namespace minik8s::apiserver::authn {

authentication::v1::SelfSubjectReview SelfSubjectReviewOf(const UserInfo& user) {
  authentication::v1::SelfSubjectReview review;
  review.set_api_version("authentication.k8s.io/v1");
  review.set_kind("SelfSubjectReview");
  review.mutable_metadata();
  authentication::v1::UserInfo* info = review.mutable_status()->mutable_user_info();
  info->set_username(user.name);
  info->set_uid(user.uid);
  for (const std::string& group : user.groups) info->add_groups(group);
  for (const auto& [key, values] : user.extra) {
    auto& items = (*info->mutable_extra())[key];
    for (const std::string& value : values) items.add_items(value);
  }
  return review;
}

}  // namespace minik8s::apiserver::authn
