// NodeStatusSync: one node's status loop step — what Kubernetes' kubelet
// does in tryUpdateNodeStatus. Each node-status update period the status is
// rebuilt (node_status.h: capacity, addresses, nodeInfo, the pressure
// conditions and Ready) from the apiserver's copy of the Node, and written
// when that copy says anything else (heartbeat times aside) or when a
// report is due (every report_frequency, or nothing written yet).
//
// The kubelet owns its Node's status, so whatever someone else wrote there
// — a client setting Ready to False, the node lifecycle controller marking
// Ready Unknown while the kubelet was silent — is overwritten within one
// period, and a condition the kubelet re-asserts gets a new
// lastTransitionTime (it did transition). The apiserver's copy is read from
// the kubelet's node informer (no request); only when that copy differs is
// the Node read from the apiserver itself, so an informer copy that is
// merely behind the kubelet's own last write costs one read and no write,
// and a steady node costs no request at all between reports. Before the
// informer has synced, the comparison is with the status last written.
//
// A Node the apiserver no longer has (NotFound from the read) is reported as
// NotFound and nothing is remembered, so the heartbeat registers it again
// and the next step writes a full status.
//
// Thread-compatible: one node's status loop calls Sync, one call at a time.
// The NodeStatusApi must outlive the NodeStatusSync.
#ifndef MINIK8S_KUBELET_NODE_STATUS_SYNC_H_
#define MINIK8S_KUBELET_NODE_STATUS_SYNC_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "k8s/core/v1/core.pb.h"
#include "kubelet/node_status.h"

namespace minik8s::kubelet {

// The apiserver side of a node status step, by node name (the Kubelet
// implements it, tests fake it). Safe to call from several status loops.
class NodeStatusApi {
 public:
  virtual ~NodeStatusApi() = default;
  // The Node as the kubelet's node informer holds it: NotFound when the
  // synced informer does not have it, Unavailable before it has synced.
  virtual absl::StatusOr<minik8s::core::v1::Node> CachedNode(const std::string& name) = 0;
  // The Node read from the apiserver itself.
  virtual absl::StatusOr<minik8s::core::v1::Node> GetNode(const std::string& name) = 0;
  // Writes `node`'s status (nodes/status); returns the Node as written.
  virtual absl::StatusOr<minik8s::core::v1::Node> UpdateNodeStatus(
      const minik8s::core::v1::Node& node) = 0;
};

class NodeStatusSync {
 public:
  NodeStatusSync(NodeConfig config, NodeStatusApi* api, absl::Duration report_frequency)
      : config_(std::move(config)), api_(api), report_frequency_(report_frequency) {}
  NodeStatusSync(const NodeStatusSync&) = delete;
  NodeStatusSync& operator=(const NodeStatusSync&) = delete;

  // One step at `now`. `runtime_error` ("" when the runtime is fine) makes
  // Ready False (BuildNodeStatus). NotFound: the Node is gone.
  absl::Status Sync(absl::Time now, const std::string& runtime_error);

  // Status writes and apiserver reads made so far (for tests and logs).
  int64_t writes() const { return writes_; }
  int64_t reads() const { return reads_; }

 private:
  const NodeConfig config_;
  NodeStatusApi* const api_;
  const absl::Duration report_frequency_;
  // The status last written, and when.
  std::optional<minik8s::core::v1::NodeStatus> posted_;
  absl::Time posted_at_;
  int64_t writes_ = 0;
  int64_t reads_ = 0;
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_NODE_STATUS_SYNC_H_
