// NodeRestriction (Kubernetes' plugin/pkg/admission/noderestriction): a
// kubelet writes only what belongs to its own node. Enabled with
// --enable-admission-plugins=NodeRestriction; it looks only at callers that
// are nodes (authz::NodeIdentityOf: `system:node:<name>` in system:nodes),
// together with the Node authorizer that lets nodes make these writes at
// all.
//
// For a node n (refusals are Forbidden with Kubernetes' messages):
//   - nodes: only its own Node object (`node "n1" is not allowed to modify
//     node "n2"`); on create no labels outside the kubelet's allowed set
//     (kubernetes.io/hostname, kubernetes.io/os, kubernetes.io/arch and the
//     other well-known ones, anything under kubelet.kubernetes.io or
//     node.kubernetes.io, and any label outside kubernetes.io and k8s.io;
//     never node-restriction.kubernetes.io); on update neither a change to
//     spec.taints (`node "n1" is not allowed to modify taints`) nor to a
//     label outside that set.
//   - pods: create only mirror pods (annotation kubernetes.io/config.mirror)
//     bound to itself, with exactly one controller owner reference to its own
//     Node (kind Node, name and uid), without blockOwnerDeletion, and no
//     service account, secret or configmap; delete only pods bound to it
//     (`node "n1" can only delete pods with spec.nodeName set to itself`);
//     no update of a pod's spec.
//   - pods/status: only of pods bound to it (`node "n1" can only update pod
//     status for pods with spec.nodeName set to itself`), and no change to
//     the pod's labels through status.
//   - leases (coordination.k8s.io): only in kube-node-lease, and only the
//     lease named after the node.
//   - serviceaccounts/token (create): only tokens bound to a pod (apiVersion
//     v1, kind Pod, a name: `node requested token not bound to a pod`; a
//     uid: `node requested token with a pod binding without a uid`) that
//     exists with that uid (`the UID in the bound object reference (U)
//     does not match the UID in record. The object might have been deleted
//     and then recreated`) and is bound to the node (`node requested token
//     bound to a pod scheduled on a different node`); the pod is read from
//     the apiserver's cache (`pods`), NotFound when it has none.
//   - a node identity without a name: every write refused (`could not
//     determine node from user "system:node:"`).
// Other resources and other callers pass.
//
// Not done (minik8s has none of these): PVC status, CSINodes, ResourceSlices, pods/eviction
// (minik8s serves no evictions yet; any pod subresource but status is refused), the Node's
// configSource.
//
// Thread safety: immutable; `node_uid` must be safe to call concurrently.
#ifndef MINIK8S_APISERVER_ADMISSION_NODERESTRICTION_NODE_RESTRICTION_H_
#define MINIK8S_APISERVER_ADMISSION_NODERESTRICTION_NODE_RESTRICTION_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apiserver/admission/interface.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver::admission {

inline constexpr char kNodeRestrictionName[] = "NodeRestriction";
inline constexpr char kMirrorPodAnnotation[] = "kubernetes.io/config.mirror";

// Whether a node may set (or change) the label `key` on its own Node
// (Kubernetes' getForbiddenLabels, IsKubeletLabel).
bool NodeMayChangeLabel(absl::string_view key);

class NodeRestriction : public Plugin {
 public:
  // The uid of the Node `name` (NotFound when there is none): a mirror pod's
  // owner reference must name it.
  using NodeUid = std::function<absl::StatusOr<std::string>(const std::string& name)>;

  // The pod ns/name (the API's NotFound when there is none): a node's token
  // request must be bound to one of its pods.
  using PodGetter =
      std::function<absl::StatusOr<core::v1::Pod>(const std::string& ns, const std::string& name)>;

  explicit NodeRestriction(NodeUid node_uid, PodGetter pods = nullptr)
      : node_uid_(std::move(node_uid)), pods_(std::move(pods)) {}
  absl::Status Admit(const Attributes& attributes) const override;

 private:
  absl::Status AdmitServiceAccount(const std::string& node, const Attributes& attributes) const;
  absl::Status AdmitPod(const std::string& node, const Attributes& attributes) const;
  absl::Status AdmitPodCreate(const std::string& node, const Attributes& attributes) const;

  const NodeUid node_uid_;
  const PodGetter pods_;
};

}  // namespace minik8s::apiserver::admission

#endif  // MINIK8S_APISERVER_ADMISSION_NODERESTRICTION_NODE_RESTRICTION_H_
