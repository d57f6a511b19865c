// Does one RBAC PolicyRule allow a request? Kubernetes' rule matching
// (plugin/pkg/auth/authorizer/rbac RuleAllows, rbac/v1 helpers):
//   verbs      `*` or the request's verb
//   apiGroups  `*` or the request's group ("" is the core group)
//   resources  `*`, the resource (`pods`), the resource with its
//              subresource (`pods/status`: `pods` alone does not cover it),
//              or `*/<subresource>`
//   resourceNames  empty (every object) or one naming the request's object;
//              a request without a name (list, create) matches only an
//              empty list
//   nonResourceURLs (non-resource requests only) `*`, the path, or a
//              prefix ending in `*` (`/healthz/*`)
//
// Thread safety: pure functions.
#ifndef MINIK8S_APISERVER_AUTHZ_RULE_MATCH_H_
#define MINIK8S_APISERVER_AUTHZ_RULE_MATCH_H_

#include "absl/strings/string_view.h"
#include "apiserver/authz/authorizer.h"
#include "k8s/rbac/v1/rbac.pb.h"

namespace minik8s::apiserver::authz {

bool VerbMatches(const rbac::v1::PolicyRule& rule, absl::string_view verb);
bool ApiGroupMatches(const rbac::v1::PolicyRule& rule, absl::string_view group);
// `combined` is `resource[/subresource]`.
bool ResourceMatches(const rbac::v1::PolicyRule& rule, absl::string_view combined,
                     absl::string_view subresource);
bool ResourceNameMatches(const rbac::v1::PolicyRule& rule, absl::string_view name);
bool NonResourceUrlMatches(const rbac::v1::PolicyRule& rule, absl::string_view path);

bool RuleAllows(const Attributes& attributes, const rbac::v1::PolicyRule& rule);

}  // namespace minik8s::apiserver::authz

#endif  // MINIK8S_APISERVER_AUTHZ_RULE_MATCH_H_
