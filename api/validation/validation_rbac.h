// Defaulting and validation of the rbac.authorization.k8s.io/v1 kinds, with
// Kubernetes' rules and messages (pkg/apis/rbac/v1/defaults.go,
// pkg/apis/rbac/validation): names are path segments (`system:masters` is
// fine, `a/b` is not), a namespaced Role's rules may not name
// nonResourceURLs, a binding's roleRef is rbac.authorization.k8s.io Role or
// ClusterRole (a ClusterRoleBinding's only ClusterRole) and may not change,
// subjects are User, Group (apiGroup rbac.authorization.k8s.io) or
// ServiceAccount (apiGroup "", a namespace in a ClusterRoleBinding).
//
// Thread safety: pure functions.
#ifndef MINIK8S_API_VALIDATION_VALIDATION_RBAC_H_
#define MINIK8S_API_VALIDATION_VALIDATION_RBAC_H_

#include "api/validation/field_error.h"
#include "k8s/rbac/v1/rbac.pb.h"

namespace minik8s::validation {

inline constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";

// roleRef.apiGroup rbac.authorization.k8s.io when empty; a subject's
// apiGroup rbac.authorization.k8s.io for User and Group when empty.
void SetRoleBindingDefaults(minik8s::rbac::v1::RoleBinding* binding);
void SetClusterRoleBindingDefaults(minik8s::rbac::v1::ClusterRoleBinding* binding);

FieldErrors ValidateRole(const minik8s::rbac::v1::Role& role);
FieldErrors ValidateRoleUpdate(const minik8s::rbac::v1::Role& role,
                               const minik8s::rbac::v1::Role& old);
FieldErrors ValidateClusterRole(const minik8s::rbac::v1::ClusterRole& role);
FieldErrors ValidateClusterRoleUpdate(const minik8s::rbac::v1::ClusterRole& role,
                                      const minik8s::rbac::v1::ClusterRole& old);
FieldErrors ValidateRoleBinding(const minik8s::rbac::v1::RoleBinding& binding);
FieldErrors ValidateRoleBindingUpdate(const minik8s::rbac::v1::RoleBinding& binding,
                                      const minik8s::rbac::v1::RoleBinding& old);
FieldErrors ValidateClusterRoleBinding(const minik8s::rbac::v1::ClusterRoleBinding& binding);
FieldErrors ValidateClusterRoleBindingUpdate(const minik8s::rbac::v1::ClusterRoleBinding& binding,
                                             const minik8s::rbac::v1::ClusterRoleBinding& old);

}  // namespace minik8s::validation

#endif  // MINIK8S_API_VALIDATION_VALIDATION_RBAC_H_
