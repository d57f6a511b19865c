// The Node authorizer (Kubernetes' plugin/pkg/auth/authorizer/node): what a
// kubelet may do, decided for the callers that are nodes, as kube-apiserver's
// --authorization-mode=Node does.
//
// A caller is a node when its user name is `system:node:<name>` and it is
// in the group system:nodes (NodeIdentity, Kubernetes' default node
// identifier); everybody else gets NoOpinion, so RBAC or the next mode
// decides. A node identity without a name (`system:node:`) gets NoOpinion
// with the reason `unknown node for user "system:node:"`.
//
// For a node:
//   - leases (coordination.k8s.io): get, create, update, patch, delete in
//     the namespace kube-node-lease only, and (except create, whose name the
//     authorizer does not know; NodeRestriction checks it) only the lease
//     named after the node; the reasons are Kubernetes' (`can only access
//     node lease with the same name as the requesting node`).
//   - everything else: allowed when one of NodeRules() allows it (the rules
//     of Kubernetes' bootstrap policy NodeRules, for the resources minik8s
//     serves): read services; create, read, update and patch nodes, update
//     and patch nodes/status; create, update, patch events (core and
//     events.k8s.io); read, create and delete pods, update and patch
//     pods/status, create pods/eviction; create tokenreviews,
//     subjectaccessreviews and localsubjectaccessreviews.
//   - secrets and configmaps: get, list and watch of one object (a name;
//     not a subresource; in a namespace) that a pod bound to the node
//     references; serviceaccounts: create of the `token` subresource of an
//     account a pod bound to the node runs as — the graph's paths
//     (node_graph.h: volumes, projected sources, env refs,
//     serviceAccountName), as Kubernetes' authorizer follows them. Without
//     a path the answer is NoOpinion with Kubernetes' reason `no
//     relationship found between node 'n1' and this object` (so the 403
//     reads `secrets "s" is forbidden: User "system:node:n1" cannot get
//     resource "secrets" in API group "" in the namespace "default": no
//     relationship found between node 'n1' and this object`); other verbs
//     get `can only read resources of this type`, `cannot read
//     subresource`, `can only read namespaced object of this type`, `No
//     Object name found`, `can only create tokens for individual service
//     accounts` or `can only create token subresource of serviceaccount`.
// Which node, which pod is the NodeRestriction admission plugin's question
// (admission/noderestriction), as in Kubernetes: without it a node may
// update every Node and every pod's status.
//
// Not done (minik8s has none of these kinds): persistent volumes and
// claims, resource claims and CSINodes in the graph. Nor the newer
// selector-scoped reads (feature AuthorizeNodeWithSelectors: list/watch of
// pods only with fieldSelector spec.nodeName=<node>, get of its own Node
// only): nodes read every Node and Pod, as Kubernetes did up to 1.31.
// Like Kubernetes', it lists no rules for SelfSubjectRulesReview.
//
// Thread safety: immutable, safe for concurrent use.
#ifndef MINIK8S_APISERVER_AUTHZ_NODE_AUTHORIZER_H_
#define MINIK8S_APISERVER_AUTHZ_NODE_AUTHORIZER_H_

#include <string>
#include <vector>

#include "apiserver/authn/authenticator.h"
#include "apiserver/authz/authorizer.h"
#include "apiserver/authz/node_graph.h"
#include "k8s/rbac/v1/rbac.pb.h"

namespace minik8s::apiserver::authz {

inline constexpr char kNodeUserPrefix[] = "system:node:";
inline constexpr char kNodesGroup[] = "system:nodes";
inline constexpr char kNodeLeaseNamespace[] = "kube-node-lease";

struct NodeIdentity {
  bool is_node = false;
  std::string name;  // "" for a node identity that names no node
};

// Whether `user` (may be null) is a node, and which.
NodeIdentity NodeIdentityOf(const authn::UserInfo* user);

// Kubernetes' NodeRules, for the resources minik8s serves (also the rules
// of the bootstrap ClusterRole system:node), with Kubernetes' rules for
// secrets, configmaps and serviceaccounts/token, which the authorizer
// narrows by its graph before it looks at the rules.
std::vector<rbac::v1::PolicyRule> NodeRules();

class NodeAuthorizer : public Authorizer {
 public:
  // `graph` (borrowed, must outlive the authorizer; null: no paths).
  explicit NodeAuthorizer(const NodeGraph* graph = nullptr);
  Result Authorize(const Attributes& attributes) const override;
  // For a node: nothing listed, incomplete, and Kubernetes' error (`node
  // authorizer does not support user rule resolution`); others: nothing.
  void RulesFor(const authn::UserInfo& user, const std::string& ns, RuleList* out) const override;

 private:
  const std::vector<rbac::v1::PolicyRule> rules_;
  const NodeGraph* const graph_;
};

}  // namespace minik8s::apiserver::authz

#endif  // MINIK8S_APISERVER_AUTHZ_NODE_AUTHORIZER_H_
