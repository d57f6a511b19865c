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
  const absl::Time now = now_();
  const sa::BoundObjects& bound = valid->bound;
  for (const auto& [kind, object] :
       {std::pair{"Secret", &bound.secret}, std::pair{"Pod", &bound.pod}}) {
    if (!object->has_value()) continue;
    if (std::string why = CheckBound(ref.namespace_, kind, (*object)->name, (*object)->uid,
                                     valid->issued_at, now);
        !why.empty()) {
      spdlog::debug("service account token refused: {}", why);
      return std::nullopt;
    }
  }
  if (bound.node.has_value() && !bound.pod.has_value()) {
    if (std::string why =
            CheckBound("", "Node", bound.node->name, bound.node->uid, valid->issued_at, now);
        !why.empty()) {
      spdlog::debug("service account token refused: {}", why);
      return std::nullopt;
    }
  }
  UserInfo user{.name = sa::ServiceAccountUserName(ref.namespace_, ref.name),
                .uid = ref.uid,
                .groups = {sa::kServiceAccountsGroup,
                           absl::StrCat(sa::kServiceAccountsGroupPrefix, ref.namespace_),
                           kAuthenticatedGroup}};
  if (!valid->jti.empty()) {
    user.extra[sa::kCredentialIdKey] = {absl::StrCat("JTI=", valid->jti)};
  }
  if (bound.pod.has_value()) {
    user.extra[sa::kPodNameKey] = {bound.pod->name};
    if (!bound.pod->uid.empty()) user.extra[sa::kPodUidKey] = {bound.pod->uid};
  }
  if (bound.node.has_value()) {
    user.extra[sa::kNodeNameKey] = {bound.node->name};
    if (!bound.node->uid.empty()) user.extra[sa::kNodeUidKey] = {bound.node->uid};
  }
  Authenticated answer{.user = std::move(user)};
  for (const std::string& audience : wanted) {
    if (std::find(claims->aud().begin(), claims->aud().end(), audience) != claims->aud().end()) {
      answer.audiences.push_back(audience);
    }
  }
  return answer;
}

std::string ServiceAccountTokenAuthenticator::CheckBound(
    const std::string& ns, const std::string& kind, const std::string& name, const std::string& uid,
    absl::Time issued_at, absl::Time now) const {
  const std::string what = absl::StrCat(kind, " ", ns.empty() ? "" : ns + "/", name);
  if (!bound_) return absl::StrCat("bound to ", what, ", which cannot be looked up here");
  std::optional<meta::v1::ObjectMeta> meta = bound_(kind, ns, name, false);
  // The cache may trail storage for a token issued a moment ago.
  if ((!meta.has_value() || meta->uid() != uid) && now - issued_at < kFreshTokenWindow) {
    meta = bound_(kind, ns, name, true);
  }
  if (!meta.has_value()) return absl::StrCat("the bound ", what, " does not exist");
  if (meta->uid() != uid) {
    return absl::StrCat("the bound ", what, " has uid ", meta->uid(), ", the token ", uid);
  }
  if (meta->has_deletion_timestamp() &&
      absl::FromUnixSeconds(meta->deletion_timestamp().seconds()) < now - sa::kLeeway) {
    return absl::StrCat("the bound ", what, " is being deleted");
  }
  return "";
}

}  // namespace minik8s::apiserver::authn
