#include "kubelet/token_webhook.h"

#include <openssl/sha.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace minik8s::kubelet {

namespace authnv1 = ::minik8s::authentication::v1;

namespace {

// The cache key: the token's SHA-256 (raw bytes), so no token is kept.
std::string TokenKey(absl::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

class ApiTokenReviewer : public TokenReviewer {
 public:
  explicit ApiTokenReviewer(client::ApiClient* api) : api_(api) {}

  absl::StatusOr<authnv1::TokenReview> Review(const authnv1::TokenReview& review) override {
    authnv1::TokenReview answer;
    if (absl::Status s = api_->Create("tokenreviews", "", review, &answer); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("TokenReview: ", s.message()));
    }
    return answer;
  }

 private:
  client::ApiClient* const api_;
};

}  // namespace

std::unique_ptr<TokenReviewer> NewApiTokenReviewer(client::ApiClient* api) {
  return std::make_unique<ApiTokenReviewer>(api);
}

WebhookTokenAuthenticator::WebhookTokenAuthenticator(TokenReviewer* reviewer, common::Clock* clock,
                                                     Options options)
    : reviewer_(reviewer), clock_(clock), options_(options), answers_(options.max_entries) {}

absl::StatusOr<std::optional<KubeletUser>> WebhookTokenAuthenticator::Authenticate(
    absl::string_view token) {
  const std::string key = TokenKey(token);
  {
    absl::MutexLock lock(&mu_);
    if (auto cached = answers_.Get(key, clock_->Now()); cached.has_value()) return *cached;
  }
  authnv1::TokenReview review;
  review.set_api_version("authentication.k8s.io/v1");
  review.set_kind("TokenReview");
  review.mutable_spec()->set_token(std::string(token));
  absl::StatusOr<authnv1::TokenReview> answer = reviewer_->Review(review);
  if (!answer.ok()) return answer.status();
  const authnv1::TokenReviewStatus& status = answer->status();
  std::optional<KubeletUser> user;
  if (status.authenticated()) {
    user.emplace();
    user->name = status.user().username();
    user->uid = status.user().uid();
    user->groups.assign(status.user().groups().begin(), status.user().groups().end());
    for (const auto& [name, values] : status.user().extra()) {
      user->extra[name].assign(values.items().begin(), values.items().end());
    }
  } else if (!status.error().empty()) {
    return absl::UnauthenticatedError(status.error());
  }
  if (options_.cache_ttl > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    answers_.Put(key, user, clock_->Now() + options_.cache_ttl);
  }
  return user;
}

size_t WebhookTokenAuthenticator::cached() const {
  absl::MutexLock lock(&mu_);
  return answers_.size();
}

}  // namespace minik8s::kubelet
