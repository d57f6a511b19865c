// RBAC's escalation prevention (Kubernetes' pkg/registry/rbac: the
// policy-based storage of roles and bindings and the rule resolver's
// ConfirmNoEscalation): nobody grants, through RBAC, a permission they do
// not hold.
//
//   - Creating or updating a Role or ClusterRole is allowed when the caller
//     may `escalate` roles (clusterroles) of that name, or already holds
//     every permission its rules grant, where it is granted (the Role's
//     namespace; everywhere for a ClusterRole).
//   - Creating or updating a RoleBinding or ClusterRoleBinding is allowed
//     when the caller may `bind` the role it references, or already holds
//     every permission of that role where the binding grants it.
//   - Members of system:masters are never refused.
//
// "Holds" is what the authorizer lists for the caller (Authorizer::
// RulesFor: RBAC's bound rules, the Node authorizer's node rules) and
// whether one such rule covers each verb, group, resource, resource name and
// path of the new rules, as Kubernetes' rule covering does. The refusal
// is Kubernetes' 403: `clusterroles.rbac.authorization.k8s.io "x" is
// forbidden: user "bob" (groups=["system:authenticated"]) is attempting to
// grant RBAC permissions not currently held:` followed by the rules not held.
// Without an authorizer (AlwaysAllow) nothing is checked.
#ifndef MINIK8S_APISERVER_ADMISSION_RBAC_ESCALATION_H_
#define MINIK8S_APISERVER_ADMISSION_RBAC_ESCALATION_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apiserver/admission/certificates/certificates.h"
#include "apiserver/admission/interface.h"
#include "apiserver/authz/authorizer.h"
#include "k8s/rbac/v1/rbac.pb.h"

namespace minik8s::apiserver::admission {

// The rules of the Role `ns`/`name` ("Role") or the ClusterRole `name`
// ("ClusterRole"); NotFound when it does not exist.
using RoleRulesGetter = std::function<absl::StatusOr<std::vector<rbac::v1::PolicyRule>>(
    const std::string& kind, const std::string& ns, const std::string& name)>;

// Whether `owner` covers every permission of `servant` (Kubernetes'
// validation.Covers); `missing` (may be null) receives what is not covered,
// one permission each.
bool CoversRules(const authz::RuleList& owner, const std::vector<rbac::v1::PolicyRule>& servant,
                 std::vector<rbac::v1::PolicyRule>* missing);

class RbacEscalation : public Plugin {
 public:
  RbacEscalation(AuthorizerGetter authorizer, RoleRulesGetter role_rules)
      : authorizer_(std::move(authorizer)), role_rules_(std::move(role_rules)) {}
  absl::Status Admit(const Attributes& attributes) const override;

 private:
  AuthorizerGetter authorizer_;
  RoleRulesGetter role_rules_;
};

}  // namespace minik8s::apiserver::admission

#endif  // MINIK8S_APISERVER_ADMISSION_RBAC_ESCALATION_H_
