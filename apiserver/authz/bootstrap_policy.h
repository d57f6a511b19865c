// Kubernetes' bootstrap RBAC policy (plugin/pkg/auth/authorizer/rbac/
// bootstrappolicy), created when the apiserver starts with RBAC on, as
// kube-apiserver's rbac/bootstrap-roles post-start hook does: an object that
// is missing is created; one that exists and is annotated autoupdate=true
// gets the rules (a role) or subjects (a binding) it lacks added, so a data
// dir of an older build gains what a newer one grants; nothing is removed,
// and an object annotated autoupdate=false is left as it is.
// Every object carries the label kubernetes.io/bootstrapping=rbac-defaults
// and the annotation rbac.authorization.kubernetes.io/autoupdate=true.
//
// ClusterRoles: cluster-admin, admin, edit, view (with their aggregation
// rules, and the rules the aggregation controller would fill in, for the
// resources minik8s serves), system:discovery, system:basic-user,
// system:public-info-viewer, system:kube-scheduler,
// system:kube-controller-manager, system:node, system:node-proxier,
// system:node-bootstrapper (create, get, list, watch certificatesigningrequests),
// system:certificates.k8s.io:certificatesigningrequests:nodeclient and
// :selfnodeclient (create on those synthetic subresources, which the CSR
// approver asks about), and system:certificates.k8s.io:<signer>-approver
// (approve on signers/kubernetes.io/<signer>) for kube-apiserver-client,
// kube-apiserver-client-kubelet, kubelet-serving and legacy-unknown;
// minik8s:certificatesigningrequests:kubeproxyclient (create on the
// synthetic subresource certificatesigningrequests/kubeproxyclient, a
// minik8s addition: `minik8s join`'s service proxy, csr_approver.h);
// system:auth-delegator (create tokenreviews and subjectaccessreviews) and
// system:kubelet-api-admin (read nodes, proxy, and every verb on
// nodes/proxy, log, stats, metrics, spec, pods, healthz, configz: what a
// kubelet's Webhook authorization asks). None of these is bound here:
// `minik8s up` binds bootstrap tokens' group, as kubeadm does, and
// system:kubelet-api-admin to the apiserver's kubelet client.
//
// Condensed where minik8s differs:
//   - system:kube-controller-manager holds what all of minik8s' controllers
//     need (read everything; write pods, replicasets, deployments, events,
//     endpoints, endpointslices, nodes, leases and their status; update
//     CSRs' status and approval, approve kubelet client and kube-proxy
//     client requests, sign for
//     the built-in signers, create SubjectAccessReviews): Kubernetes
//     gives each controller its own role and service account
//     (--use-service-account-credentials), minik8s runs them as one user.
//   - the rules of every role name only the resources minik8s serves.
//
// ClusterRoleBindings: cluster-admin (group system:masters),
// system:discovery and system:basic-user (group system:authenticated),
// system:public-info-viewer (groups system:authenticated and
// system:unauthenticated), system:kube-scheduler, system:kube-controller-
// manager (the users of those names), system:node-proxier (user
// system:kube-proxy), and system:node (the Node authorizer's NodeRules,
// node_authorizer.h) with no subjects: nodes are authorized by the Node
// authorizer, as in Kubernetes.
//
// In kube-system, the Role system:controller:token-cleaner (get, list,
// watch, delete secrets; write events), bound by the RoleBinding of that
// name to the user system:kube-controller-manager (Kubernetes binds it to
// the token-cleaner service account), for the tokencleaner controller.
// EnsureBootstrapPolicy creates kube-system first when it is missing.
//
// Thread safety: BootstrapPolicy() builds a new value; EnsureBootstrapPolicy
// from one thread at a time.
#ifndef MINIK8S_APISERVER_AUTHZ_BOOTSTRAP_POLICY_H_
#define MINIK8S_APISERVER_AUTHZ_BOOTSTRAP_POLICY_H_

#include "absl/status/status.h"
#include "apiserver/authz/rbac_authorizer.h"
#include "apiserver/handler.h"

namespace minik8s::apiserver::authz {

// The cluster roles and bindings, and the kube-system role and binding, above.
Policy BootstrapPolicy();

// Creates what of BootstrapPolicy() is missing, through `handler`
// (validation included). Returns the first error other than AlreadyExists;
// the caller retries.
absl::Status EnsureBootstrapPolicy(Handler* handler);

}  // namespace minik8s::apiserver::authz

#endif  // MINIK8S_APISERVER_AUTHZ_BOOTSTRAP_POLICY_H_
