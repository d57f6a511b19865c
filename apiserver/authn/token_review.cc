#include "apiserver/authn/token_review.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/errors.h"

namespace minik8s::apiserver::authn {

absl::Status AnswerTokenReview(const Authenticator* authenticator, absl::string_view ns,
                               authentication::v1::TokenReview* review) {
  if (!ns.empty()) {
    return api::NewBadRequest(absl::StrCat("namespace is not allowed on this type: ", ns));
  }
  if (review->spec().token().empty()) {
    return api::NewBadRequest("token is required for TokenReview in authentication");
  }
  review->set_api_version("authentication.k8s.io/v1");
  review->set_kind("TokenReview");
  review->mutable_metadata();
  review->clear_status();
  authentication::v1::TokenReviewStatus* status = review->mutable_status();
  status->mutable_user();
  if (authenticator == nullptr || !authenticator->authenticates_tokens()) return absl::OkStatus();
  std::vector<std::string> audiences(review->spec().audiences().begin(),
                                     review->spec().audiences().end());
  if (audiences.empty()) audiences = authenticator->api_audiences();
  Authenticator::TokenResult result =
      authenticator->AuthenticateToken(review->spec().token(), audiences);
  if (!result.authenticated) {
    status->set_error(kInvalidBearerToken);
    return absl::OkStatus();
  }
  status->set_authenticated(true);
  authentication::v1::UserInfo* user = status->mutable_user();
  user->set_username(result.user.name);
  user->set_uid(result.user.uid);
  for (const std::string& group : result.user.groups) user->add_groups(group);
  for (const auto& [key, values] : result.user.extra) {
    auto& items = (*user->mutable_extra())[key];
    for (const std::string& value : values) items.add_items(value);
  }
  for (const std::string& audience : result.audiences) status->add_audiences(audience);
  return absl::OkStatus();
}

}  // namespace minik8s::apiserver::authn
