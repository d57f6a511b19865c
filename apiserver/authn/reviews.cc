#include "apiserver/authn/reviews.h"

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/authn/self_subject_review.h"
#include "apiserver/authn/token_review.h"
#include "k8s/authentication/v1/authentication.pb.h"

namespace minik8s::apiserver::authn {

namespace {

constexpr AuthenticationReview kReviews[] = {
    {kSelfSubjectReviewResource, "selfsubjectreview", "SelfSubjectReview"},
    {kTokenReviewResource, "tokenreview", "TokenReview"},
};

}  // namespace

absl::Span<const AuthenticationReview> AuthenticationReviews() { return kReviews; }

const AuthenticationReview* FindAuthenticationReview(absl::string_view resource) {
  for (const AuthenticationReview& review : kReviews) {
    if (resource == review.resource) return &review;
  }
  return nullptr;
}

std::unique_ptr<google::protobuf::Message> NewAuthenticationReview(absl::string_view resource) {
  if (resource == kSelfSubjectReviewResource) {
    return std::make_unique<authentication::v1::SelfSubjectReview>();
  }
  if (resource == kTokenReviewResource) return std::make_unique<authentication::v1::TokenReview>();
  return nullptr;
}

absl::Status AnswerAuthenticationReview(absl::string_view resource, absl::string_view ns,
                                        const UserInfo& caller, const Authenticator* authenticator,
                                        google::protobuf::Message* review) {
  if (resource == kSelfSubjectReviewResource) {
    if (!ns.empty()) {
      return api::NewBadRequest(absl::StrCat("namespace is not allowed on this type: ", ns));
    }
    static_cast<authentication::v1::SelfSubjectReview*>(review)->CopyFrom(
        SelfSubjectReviewOf(caller));
    return absl::OkStatus();
  }
  if (resource == kTokenReviewResource) {
    return AnswerTokenReview(authenticator, ns,
                             static_cast<authentication::v1::TokenReview*>(review));
  }
  return api::NewNotFound(absl::StrCat(resource, ".authentication.k8s.io"), "");
}

}  // namespace minik8s::apiserver::authn
