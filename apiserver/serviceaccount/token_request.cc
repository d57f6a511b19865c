#include "apiserver/serviceaccount/token_request.h"

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/scheme.h"
#include "api/validation/validation_serviceaccount.h"
#include "apiserver/registry/admission.h"
#include "apiserver/serviceaccount/token.h"
#include "common/status_macros.h"

namespace minik8s::apiserver::serviceaccount {

absl::Status TokenIssuer::Answer(const core::v1::ServiceAccount& account, absl::Time now,
                                 authentication::v1::TokenRequest* request) const {
  const meta::v1::ObjectMeta& owner = account.metadata();
  meta::v1::ObjectMeta* meta = request->mutable_metadata();
  if (!meta->namespace_().empty() && meta->namespace_() != owner.namespace_()) {
    return api::NewBadRequest(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
  if (!meta->name().empty() && meta->name() != owner.name()) {
    return api::NewBadRequest(
        "the name of the provided object does not match the name sent on the request");
  }
  meta->set_namespace_(owner.namespace_());
  meta->set_name(owner.name());
  validation::SetTokenRequestDefaults(request);
  const validation::FieldErrors errors = validation::ValidateTokenRequest(*request);
  if (!errors.empty()) {
    const api::KindInfo* kind =
        api::Scheme::Default().FindByKind("authentication.k8s.io/v1", "TokenRequest");
    if (kind == nullptr) return api::NewInternalError("the scheme has no TokenRequest");
    return InvalidObjectStatus(*kind, *request, errors);
  }
  std::vector<std::string> audiences(request->spec().audiences().begin(),
                                     request->spec().audiences().end());
  if (audiences.empty()) {
    audiences = audiences_;
    for (const std::string& audience : audiences_) request->mutable_spec()->add_audiences(audience);
  }
  const absl::Duration lifetime = absl::Seconds(request->spec().expiration_seconds());
  const v1::JwtClaims claims = NewClaims(
      issuer_, audiences,
      {.namespace_ = owner.namespace_(), .name = owner.name(), .uid = owner.uid()}, now, lifetime);
  ASSIGN_OR_RETURN(std::string token, signer_.Sign(claims));
  request->set_api_version("authentication.k8s.io/v1");
  request->set_kind("TokenRequest");
  request->mutable_status()->set_token(std::move(token));
  request->mutable_status()->mutable_expiration_timestamp()->set_seconds(claims.exp());
  return absl::OkStatus();
}

}  // namespace minik8s::apiserver::serviceaccount
