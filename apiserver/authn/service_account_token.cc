#include "apiserver/authn/service_account_token.h"

#include "absl/strings/str_cat.h"
#include "apiserver/serviceaccount/jwt.h"
#include "apiserver/serviceaccount/token.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver::authn {

namespace sa = ::minik8s::apiserver::serviceaccount;

std::optional<UserInfo> ServiceAccountTokenAuthenticator::Authenticate(
    absl::string_view token) const {
  if (!sa::LooksLikeJwt(token)) return std::nullopt;
  absl::StatusOr<v1::JwtClaims> claims = sa::VerifyJwt(keys_, token);
  if (!claims.ok()) {
    spdlog::debug("service account token refused: {}", std::string(claims.status().message()));
    return std::nullopt;
  }
  absl::StatusOr<sa::ValidatedToken> valid =
      sa::ValidateClaims(*claims, issuers_, audiences_, now_());
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
  return user;
}

}  // namespace minik8s::apiserver::authn
