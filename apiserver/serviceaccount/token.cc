#include "apiserver/serviceaccount/token.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "apiserver/identity.h"

namespace minik8s::apiserver::serviceaccount {
namespace {

absl::Status Refuse(absl::string_view why) { return absl::UnauthenticatedError(why); }

}  // namespace

std::string ServiceAccountUserName(absl::string_view ns, absl::string_view name) {
  return absl::StrCat(kServiceAccountUserPrefix, ns, ":", name);
}

v1::JwtClaims NewClaims(const std::string& issuer, const std::vector<std::string>& audiences,
                        const AccountRef& account, absl::Time now, absl::Duration lifetime,
                        std::string jti, const BoundObjects& bound, absl::Duration warn_after) {
  v1::JwtClaims claims;
  for (const std::string& audience : audiences) claims.add_aud(audience);
  const int64_t issued = absl::ToUnixSeconds(now);
  claims.set_iat(issued);
  claims.set_nbf(issued);
  claims.set_exp(issued + absl::ToInt64Seconds(lifetime));
  claims.set_iss(issuer);
  claims.set_jti(jti.empty() ? NewUuidV4() : std::move(jti));
  claims.set_sub(ServiceAccountUserName(account.namespace_, account.name));
  v1::JwtKubernetesClaims* k8s = claims.mutable_kubernetes();
  k8s->set_namespace_(account.namespace_);
  k8s->mutable_serviceaccount()->set_name(account.name);
  k8s->mutable_serviceaccount()->set_uid(account.uid);
  auto set = [](const std::optional<ObjectRef>& ref, v1::JwtObjectRef* out) {
    out->set_name(ref->name);
    out->set_uid(ref->uid);
  };
  if (bound.pod.has_value()) set(bound.pod, k8s->mutable_pod());
  if (bound.secret.has_value()) set(bound.secret, k8s->mutable_secret());
  if (bound.node.has_value()) set(bound.node, k8s->mutable_node());
  if (warn_after != absl::ZeroDuration()) {
    k8s->set_warnafter(issued + absl::ToInt64Seconds(warn_after));
  }
  return claims;
}

absl::StatusOr<ValidatedToken> ValidateClaims(const v1::JwtClaims& claims,
                                              const std::vector<std::string>& issuers,
                                              const std::vector<std::string>& audiences,
                                              absl::Time now) {
  if (std::find(issuers.begin(), issuers.end(), claims.iss()) == issuers.end()) {
    return Refuse(absl::StrCat("issued by \"", claims.iss(), "\", not by this apiserver"));
  }
  // Tokens without an expiry are legacy Secret-based tokens, which minik8s
  // neither issues nor accepts.
  if (claims.exp() <= 0) return Refuse("the token has no expiration (exp)");
  const int64_t at = absl::ToUnixSeconds(now);
  const int64_t leeway = absl::ToInt64Seconds(kLeeway);
  if (at - leeway > claims.exp()) return Refuse("the token has expired");
  if (claims.nbf() > 0 && at + leeway < claims.nbf()) return Refuse("the token is not valid yet");
  if (claims.iat() > 0 && at + leeway < claims.iat()) {
    return Refuse("the token was issued in the future");
  }
  bool audience_ok = false;
  for (const std::string& audience : claims.aud()) {
    audience_ok =
        audience_ok || std::find(audiences.begin(), audiences.end(), audience) != audiences.end();
  }
  if (!audience_ok) return Refuse("the token is not meant for this apiserver (aud)");
  if (!claims.has_kubernetes() || claims.kubernetes().namespace_().empty() ||
      claims.kubernetes().serviceaccount().name().empty() ||
      claims.kubernetes().serviceaccount().uid().empty()) {
    return Refuse("the token names no ServiceAccount (kubernetes.io claim)");
  }
  ValidatedToken token;
  token.account = {.namespace_ = claims.kubernetes().namespace_(),
                   .name = claims.kubernetes().serviceaccount().name(),
                   .uid = claims.kubernetes().serviceaccount().uid()};
  if (claims.sub() != ServiceAccountUserName(token.account.namespace_, token.account.name)) {
    return Refuse("the subject (sub) and the kubernetes.io claim disagree");
  }
  token.jti = claims.jti();
  token.expiration = absl::FromUnixSeconds(claims.exp());
  token.issued_at = claims.iat() > 0 ? absl::FromUnixSeconds(claims.iat()) : absl::InfinitePast();
  const v1::JwtKubernetesClaims& k8s = claims.kubernetes();
  auto ref = [](bool present, const v1::JwtObjectRef& in) -> std::optional<ObjectRef> {
    if (!present) return std::nullopt;
    return ObjectRef{.name = in.name(), .uid = in.uid()};
  };
  token.bound.pod = ref(k8s.has_pod(), k8s.pod());
  token.bound.secret = ref(k8s.has_secret(), k8s.secret());
  token.bound.node = ref(k8s.has_node(), k8s.node());
  for (const std::optional<ObjectRef>* bound :
       {&token.bound.pod, &token.bound.secret, &token.bound.node}) {
    if (bound->has_value() && (*bound)->name.empty()) {
      return Refuse("the token is bound to an object without a name");
    }
  }
  if (token.bound.pod.has_value() && token.bound.secret.has_value()) {
    return Refuse("the token is bound to both a pod and a secret");
  }
  return token;
}

}  // namespace minik8s::apiserver::serviceaccount
