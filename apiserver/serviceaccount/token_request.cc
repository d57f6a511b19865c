#include "apiserver/serviceaccount/token_request.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/errors.h"
#include "api/scheme.h"
#include "api/validation/validation_serviceaccount.h"
#include "apiserver/registry/admission.h"
#include "apiserver/serviceaccount/token.h"
#include "common/status_macros.h"

namespace minik8s::apiserver::serviceaccount {
namespace {

// What spec.boundObjectRef resolved to.
struct Bound {
  BoundObjects refs;
  bool pod = false;
};

absl::StatusOr<Bound> Resolve(const TokenIssuer::Lookups& lookups,
                              const core::v1::ServiceAccount& account,
                              const authentication::v1::TokenRequest& request) {
  Bound bound;
  if (!request.spec().has_bound_object_ref()) return bound;
  const authentication::v1::BoundObjectReference& ref = request.spec().bound_object_ref();
  // schema.FromAPIVersionAndKind: "v1" is the core group.
  const std::vector<std::string> parts = absl::StrSplit(ref.api_version(), '/');
  const std::string group = parts.size() == 2 ? parts[0] : "";
  const std::string version = parts.size() == 2 ? parts[1] : ref.api_version();
  const std::string& ns = account.metadata().namespace_();
  std::string uid;
  if (group.empty() && ref.kind() == "Pod") {
    if (!lookups.pod) return api::NewServiceUnavailable("pods cannot be read here");
    ASSIGN_OR_RETURN(const core::v1::Pod pod, lookups.pod(ns, ref.name(), ref.uid()));
    if (pod.spec().service_account_name() != account.metadata().name()) {
      return api::NewBadRequest(absl::StrCat("cannot bind token for serviceaccount \"",
                                             account.metadata().name(),
                                             "\" to pod running with different serviceaccount "
                                             "name."));
    }
    uid = pod.metadata().uid();
    bound.pod = true;
    bound.refs.pod = ObjectRef{.name = pod.metadata().name(), .uid = uid};
    if (const std::string& node = pod.spec().node_name(); !node.empty()) {
      std::optional<std::string> node_uid =
          lookups.node_uid ? lookups.node_uid(node) : std::nullopt;
      bound.refs.node = ObjectRef{.name = node, .uid = node_uid.value_or("")};
    }
  } else if (group.empty() && ref.kind() == "Secret") {
    if (!lookups.secret) return api::NewServiceUnavailable("secrets cannot be read here");
    ASSIGN_OR_RETURN(const core::v1::Secret secret, lookups.secret(ns, ref.name()));
    uid = secret.metadata().uid();
    bound.refs.secret = ObjectRef{.name = secret.metadata().name(), .uid = uid};
  } else if (group.empty() && ref.kind() == "Node") {
    if (!lookups.node) return api::NewServiceUnavailable("nodes cannot be read here");
    ASSIGN_OR_RETURN(const core::v1::Node node, lookups.node(ref.name()));
    uid = node.metadata().uid();
    bound.refs.node = ObjectRef{.name = node.metadata().name(), .uid = uid};
  } else {
    // GroupVersionKind.String().
    return api::NewBadRequest(absl::StrCat("cannot bind token to object of type ", group, "/",
                                           version, ", Kind=", ref.kind()));
  }
  if (!ref.uid().empty() && ref.uid() != uid) {
    return api::NewConflict(
        ref.kind(), ref.name(),
        absl::StrCat("the UID in the bound object reference (", ref.uid(),
                     ") does not match the UID in record. The object might have been deleted "
                     "and then recreated"));
  }
  return bound;
}

}  // namespace

absl::Status TokenIssuer::Issue(const std::string& ns, const std::string& name, absl::Time now,
                                authentication::v1::TokenRequest* request,
                                const authn::UserInfo* user) const {
  if (!lookups_.service_account) {
    return api::NewServiceUnavailable("serviceaccounts cannot be read here");
  }
  ASSIGN_OR_RETURN(const core::v1::ServiceAccount account, lookups_.service_account(ns, name));
  return Answer(account, now, request, user);
}

absl::Status TokenIssuer::Answer(const core::v1::ServiceAccount& account, absl::Time now,
                                 authentication::v1::TokenRequest* request,
                                 const authn::UserInfo* user) const {
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
  if (lookups_.admit) RETURN_IF_ERROR(lookups_.admit(user, *request));
  ASSIGN_OR_RETURN(const Bound bound, Resolve(lookups_, account, *request));
  std::vector<std::string> audiences(request->spec().audiences().begin(),
                                     request->spec().audiences().end());
  if (audiences.empty()) {
    audiences = audiences_;
    for (const std::string& audience : audiences_) request->mutable_spec()->add_audiences(audience);
  }
  const int64_t seconds = request->spec().expiration_seconds();
  // A kubelet's token (Kubernetes' isKubeAudiences: every audience is the
  // apiserver's) lives a year and warns after its 3607 seconds.
  const bool kube_audiences =
      std::all_of(audiences.begin(), audiences.end(), [this](const std::string& audience) {
        return std::find(audiences_.begin(), audiences_.end(), audience) != audiences_.end();
      });
  const bool extend =
      bound.pod && seconds == kWarnOnlyBoundTokenExpirationSeconds && kube_audiences;
  const v1::JwtClaims claims =
      NewClaims(issuer_, audiences,
                {.namespace_ = owner.namespace_(), .name = owner.name(), .uid = owner.uid()}, now,
                absl::Seconds(extend ? kExtendedExpirationSeconds : seconds), "", bound.refs,
                extend ? absl::Seconds(seconds) : absl::ZeroDuration());
  ASSIGN_OR_RETURN(std::string token, signer_.Sign(claims));
  request->set_api_version("authentication.k8s.io/v1");
  request->set_kind("TokenRequest");
  request->mutable_status()->set_token(std::move(token));
  request->mutable_status()->mutable_expiration_timestamp()->set_seconds(claims.iat() + seconds);
  return absl::OkStatus();
}

}  // namespace minik8s::apiserver::serviceaccount
