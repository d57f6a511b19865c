// Whether a caller may do what it asks: the apiserver's authorization, as
// kube-apiserver's authorizers do it (k8s.io/apiserver/pkg/authorization).
//
// A request is described by Attributes: who (user and groups, from
// authentication), the verb, and either the resource it names (API group,
// resource, subresource, namespace, name) or, for everything else, the URL
// path (a non-resource request: /healthz, /api, /version). An authorizer
// answers Allow, Deny or NoOpinion with an optional reason.
//
// --authorization-mode is kube-apiserver's flag: a comma-separated list of
// AlwaysAllow, AlwaysDeny, Node (node_authorizer.h) and RBAC, asked in the
// order given; the first Allow or Deny decides, and a request nobody allows
// is forbidden. Before them, as in Kubernetes, members of the group
// system:masters are always allowed. The default, AlwaysAllow, serves every
// caller as before authorization existed.
//
// A forbidden request gets Kubernetes' answer (ForbiddenError): HTTP 403,
// reason Forbidden, the message
//   pods "web" is forbidden: User "bob" cannot delete resource "pods" in API
//   group "" in the namespace "default"
// (`at the cluster scope` without a namespace, `forbidden: User "bob"
// cannot get path "/metrics"` for a non-resource request), followed by
// `: <reason>` when the authorizers gave one. Its absl code is
// kPermissionDenied, so the gRPC edge answers PERMISSION_DENIED.
//
// Thread safety: authorizers are safe to call concurrently.
#ifndef MINIK8S_APISERVER_AUTHZ_AUTHORIZER_H_
#define MINIK8S_APISERVER_AUTHZ_AUTHORIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apiserver/authn/authenticator.h"

namespace minik8s::apiserver::authz {

inline constexpr char kSystemMastersGroup[] = "system:masters";

struct Attributes {
  const authn::UserInfo* user = nullptr;  // borrowed for the call
  // get, list, watch, create, update, patch, delete, deletecollection; for
  // a non-resource request the lower-case HTTP method.
  std::string verb;
  bool resource_request = false;
  std::string api_group;
  std::string api_version;
  std::string resource;
  std::string subresource;
  std::string namespace_;
  std::string name;
  std::string path;  // non-resource requests
};

enum class Decision { kAllow, kDeny, kNoOpinion };

struct Result {
  Decision decision = Decision::kNoOpinion;
  std::string reason;
};

// What a user may do, as an authorizer that can list it says
// (Kubernetes' authorizer.RuleResolver): rules in RBAC's shape, for
// SelfSubjectRulesReview (access_review.h).
struct ResourceRuleInfo {
  std::vector<std::string> verbs;
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> resource_names;
};
struct NonResourceRuleInfo {
  std::vector<std::string> verbs;
  std::vector<std::string> non_resource_urls;
};
struct RuleList {
  std::vector<ResourceRuleInfo> resource_rules;
  std::vector<NonResourceRuleInfo> non_resource_rules;
  bool incomplete = false;          // an authorizer could not list all it allows
  std::vector<std::string> errors;  // e.g. a bound role that does not exist
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual Result Authorize(const Attributes& attributes) const = 0;
  // Appends to `out` the rules that hold for `user` in namespace `ns`
  // (cluster-wide ones included). The default lists nothing, as Kubernetes'
  // authorizers that are no rule resolvers (system:masters' is one).
  virtual void RulesFor(const authn::UserInfo& user, const std::string& ns, RuleList* out) const {}
};

// Allows every request; lists `*` for every resource and every path.
class AlwaysAllowAuthorizer : public Authorizer {
 public:
  Result Authorize(const Attributes&) const override { return {Decision::kAllow, ""}; }
  void RulesFor(const authn::UserInfo&, const std::string&, RuleList* out) const override {
    out->resource_rules.push_back({{"*"}, {"*"}, {"*"}, {}});
    out->non_resource_rules.push_back({{"*"}, {"*"}});
  }
};

// Has no opinion on any request, with the reason "Everything is forbidden.".
class AlwaysDenyAuthorizer : public Authorizer {
 public:
  Result Authorize(const Attributes&) const override {
    return {Decision::kNoOpinion, "Everything is forbidden."};
  }
};

// Allows members of system:masters; no opinion otherwise.
class PrivilegedGroupsAuthorizer : public Authorizer {
 public:
  Result Authorize(const Attributes& attributes) const override;
};

// Asks each authorizer in order: the first Allow or Deny decides; with none,
// NoOpinion with the reasons given, one a line. Its rules are all of theirs.
class UnionAuthorizer : public Authorizer {
 public:
  explicit UnionAuthorizer(std::vector<std::unique_ptr<Authorizer>> authorizers)
      : authorizers_(std::move(authorizers)) {}
  Result Authorize(const Attributes& attributes) const override;
  void RulesFor(const authn::UserInfo& user, const std::string& ns, RuleList* out) const override;

 private:
  std::vector<std::unique_ptr<Authorizer>> authorizers_;
};

// The modes of --authorization-mode in order, or InvalidArgument for an
// empty list, an unknown or a repeated mode.
absl::StatusOr<std::vector<std::string>> ParseModes(absl::string_view flag);

// `pods "web" is forbidden: User ...` (see above); `reason` is appended
// after a colon when not empty.
absl::Status ForbiddenError(const Attributes& attributes, absl::string_view reason);

// Allowed: OK; otherwise ForbiddenError with the authorizer's reason.
absl::Status Check(const Authorizer& authorizer, const Attributes& attributes);

}  // namespace minik8s::apiserver::authz

#endif  // MINIK8S_APISERVER_AUTHZ_AUTHORIZER_H_
