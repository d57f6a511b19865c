// Who may use the kubelets' API in a cluster `minik8s up` runs: the
// kubelets authorize each caller with a SubjectAccessReview
// (--authorization-mode Webhook, kubelet/server_auth.h), so the apiserver's
// own kubelet client (CN=kube-apiserver-kubelet-client, no group; `kubectl
// logs` goes through it) needs an RBAC grant. As installers that take it
// out of system:masters do, `up` binds it to the bootstrap ClusterRole
// system:kubelet-api-admin with the ClusterRoleBinding
// minik8s:kubelet-api-admin (labelled app.kubernetes.io/managed-by=minik8s).
#ifndef MINIK8S_CLUSTER_KUBELET_API_ACCESS_H_
#define MINIK8S_CLUSTER_KUBELET_API_ACCESS_H_

#include "absl/status/status.h"
#include "client/api_client.h"

namespace minik8s::cluster {

inline constexpr char kKubeletApiAdminBinding[] = "minik8s:kubelet-api-admin";
inline constexpr char kApiserverKubeletClientUser[] = "kube-apiserver-kubelet-client";

// Creates the binding unless it exists. `admin` must be allowed to.
absl::Status EnsureKubeletApiAccess(client::ApiClient* admin);

}  // namespace minik8s::cluster

#endif  // MINIK8S_CLUSTER_KUBELET_API_ACCESS_H_
