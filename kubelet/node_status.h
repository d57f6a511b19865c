// What a kubelet says about its node: the Node object it registers (labels,
// taints, capacity, addresses, nodeInfo, daemon endpoint), the conditions it
// reports, and the Lease it renews in kube-node-lease. Pure builders; the
// heartbeat loop (kubelet.h) does the API calls.
//
// Thread-compatible (pure).
#ifndef MINIK8S_KUBELET_NODE_STATUS_H_
#define MINIK8S_KUBELET_NODE_STATUS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/version.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubelet {

// The node's kubeletVersion (and kubeProxyVersion): the build's version.
inline constexpr const char* kKubeletVersion = version::kGitVersion;
inline constexpr char kNodeLeaseNamespace[] = "kube-node-lease";

struct NodeConfig {
  std::string name;
  std::map<std::string, std::string> labels;  // extra labels (--node-labels)
  std::vector<minik8s::core::v1::Taint> taints;
  std::string cpu = "4";
  std::string memory = "8Gi";
  int max_pods = 110;
  std::string pod_cidr;  // required
  std::string internal_ip = "127.0.0.1";
  int kubelet_port = 0;                   // 0: not published
  std::string container_runtime_version;  // "minik8s-runtime://0.1.0"
};

// "key=value:Effect,key2:Effect" → taints (--register-with-taints).
absl::StatusOr<std::vector<minik8s::core::v1::Taint>> ParseTaints(const std::string& text);
// "a=b,c=d" → labels (--node-labels).
absl::StatusOr<std::map<std::string, std::string>> ParseLabels(const std::string& text);

// The Node to register: metadata and spec, plus the static parts of status.
minik8s::core::v1::Node BuildNode(const NodeConfig& config);

// The status the kubelet reports now: static parts plus the conditions
// (Memory/Disk/PIDPressure False; Ready True KubeletReady "kubelet is
// posting ready status", or — when `runtime_error` is set, e.g. "container
// runtime is down" — Ready False KubeletNotReady with that message).
// Conditions keep lastTransitionTime from `old` while their status is
// unchanged; lastHeartbeatTime is `now`.
minik8s::core::v1::NodeStatus BuildNodeStatus(const NodeConfig& config,
                                              const minik8s::core::v1::NodeStatus& old,
                                              absl::Time now,
                                              const std::string& runtime_error = "");

// Equal ignoring lastHeartbeatTime (decides whether a status update is due
// before the report frequency).
bool SameNodeStatusIgnoringHeartbeat(const minik8s::core::v1::NodeStatus& a,
                                     const minik8s::core::v1::NodeStatus& b);

// The node Lease: holder = node name, leaseDurationSeconds, renewTime now,
// owned by the Node (uid `node_uid`, when known).
minik8s::coordination::v1::Lease BuildLease(const std::string& node_name,
                                            const std::string& node_uid, int lease_duration_seconds,
                                            absl::Time now);

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_NODE_STATUS_H_
