#include "apiserver/authn/service_account_token.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "apiserver/serviceaccount/jwt.h"
#include "apiserver/serviceaccount/token.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver::authn {

namespace sa = ::minik8s::apiserver::serviceaccount;

std::optional<UserInfo> ServiceAccountTokenAuthenticator::Authenticate(
    absl::string_view token) const {
  std::optional<Authenticated> found = AuthenticateFor(token, {});
  if (!found.has_value()) return std::nullopt;
  return std::move(found->user);
}

std::optional<ServiceAccountTokenAuthenticator::Authenticated>
ServiceAccountTokenAuthenticator::AuthenticateFor(absl::string_view token,
                                                  const std::vector<std::string>& audiences) const {
  if (!sa::LooksLikeJwt(token)) return std::nullopt;
  const std::vector<std::string>& wanted = audiences.empty() ? audiences_ : audiences;
  absl::StatusOr<v1::JwtClaims> claims = sa::VerifyJwt(keys_, token);
  if (!claims.ok()) {
    spdlog::debug("service account token refused: {}", std::string(claims.status().message()));
    return std::nullopt;
  }
  absl::StatusOr<sa::ValidatedToken> valid = sa::ValidateClaims(*claims, issuers_, wanted, now_());
  if (!valid.ok()) {
    spdlog::debug("service account token refused: {}", std::string(valid.status().message()));
    return std::nullopt;
  }
  const sa::AccountRef& ref = valid->account;
  std::optional<core::v1::ServiceAccount> account = lookup_(ref.namespace_, ref.name);
  if (!account.has_value()) {
    spdlog::debug("service account token refused: ServiceAccount {}/{} does not exist",
                  ref.namespace_, ref.name);
    return std::nullopt;
  }
  if (account->metadata().uid() != ref.uid) {
    spdlog::debug(
        "service account token refused: ServiceAccount {}/{} was re-created (uid {}, "
        "the token's {})",
        ref.namespace_, ref.name, account->metadata().uid(), ref.uid);
    return std::nullopt;
  }
  if (account->metadata().has_deletion_timestamp()) {
    spdlog::debug("service account token refused: ServiceAccount {}/{} is being deleted",
                  ref.namespace_, ref.name);
    return std::nullopt;
  }
  UserInfo user{.name = sa::ServiceAccountUserName(ref.namespace_, ref.name),
                .uid = ref.uid,
                .groups = {sa::kServiceAccountsGroup,
                           absl::StrCat(sa::kServiceAccountsGroupPrefix, ref.namespace_),
                           kAuthenticatedGroup}};
  if (!valid->jti.empty()) {
    user.extra[sa::kCredentialIdKey] = {absl::StrCat("JTI=", valid->jti)};
  }
  Authenticated answer{.user = std::move(user)};
  for (const std::string& audience : wanted) {
    if (std::find(claims->aud().begin(), claims->aud().end(), audience) != claims->aud().end()) {
      answer.audiences.push_back(audience);
    }
  }
  return answer;
}

}  // namespace minik8s::apiserver::authn
