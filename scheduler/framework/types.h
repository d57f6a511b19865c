// The scheduler's view of pods and nodes, precomputed once so that filter and
// score plugins never parse quantities in the hot loop.
//
//   PodInfo   a pod plus its effective requests (what NodeResourcesFit
//             checks), its "non-zero" requests (what scoring uses: a pod that
//             requests nothing counts as 100m cpu / 200Mi memory, as in
//             Kubernetes) and its controller owner's uid (for spreading).
//   NodeInfo  a node plus the aggregate of the pods counted on it (bound or
//             assumed): requested cpu/memory, pod count, pods per owner, and
//             each pod's namespace and labels (for topology spreading).
//             Updated incrementally by the cache (AddPod/RemovePod); never
//             rebuilt by scanning pods.
//
// Effective requests follow Kubernetes: max(sum over containers, max over
// init containers), per resource.
//
// Thread safety: value types. The cache publishes NodeInfo as
// std::shared_ptr<const NodeInfo> and never modifies a published one, so a
// snapshot may be read without locks.
#ifndef MINIK8S_SCHEDULER_FRAMEWORK_TYPES_H_
#define MINIK8S_SCHEDULER_FRAMEWORK_TYPES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::scheduler {

using Pod = minik8s::core::v1::Pod;
using Node = minik8s::core::v1::Node;

// Defaults Kubernetes uses for scoring pods that request nothing
// (pkg/scheduler/util DefaultMilliCPURequest / DefaultMemoryRequest).
inline constexpr int64_t kDefaultMilliCpuRequest = 100;
inline constexpr int64_t kDefaultMemoryRequest = 200 * 1024 * 1024;

struct Resources {
  int64_t milli_cpu = 0;
  int64_t memory = 0;             // bytes
  int64_t ephemeral_storage = 0;  // bytes

  void Add(const Resources& r) {
    milli_cpu += r.milli_cpu;
    memory += r.memory;
    ephemeral_storage += r.ephemeral_storage;
  }
  void Sub(const Resources& r) {
    milli_cpu -= r.milli_cpu;
    memory -= r.memory;
    ephemeral_storage -= r.ephemeral_storage;
  }
  friend bool operator==(const Resources&, const Resources&) = default;
};

// "namespace/name".
std::string PodKey(const Pod& pod);

// Effective requests of `pod` (max(sum containers, max init containers)).
Resources PodRequests(const Pod& pod);
// As PodRequests, but a container requesting no cpu (memory) counts as
// kDefaultMilliCpuRequest (kDefaultMemoryRequest).
Resources PodNonZeroRequests(const Pod& pod);
// The uid of the controller ownerReference (controller=true), or "".
std::string ControllerUid(const Pod& pod);

struct AffinityTerms;  // affinity_terms.h

// A pod counted on a node as inter-pod rules (topology spreading, inter-pod
// affinity) see it: its namespace, its labels, whether it is being deleted,
// and its own pod (anti-)affinity terms. Immutable; shared by every copy of
// the NodeInfo.
struct PodRef {
  std::string key;  // namespace/name
  std::string namespace_name;
  google::protobuf::Map<std::string, std::string> labels;
  bool terminating = false;
  // Null when the pod has neither podAffinity nor podAntiAffinity (they
  // cannot change once the pod exists).
  std::shared_ptr<const AffinityTerms> affinity;
};

std::shared_ptr<const PodRef> MakePodRef(const Pod& pod);
// True if `ref` still describes `pod` (same labels, same terminating state).
bool PodRefMatches(const PodRef& ref, const Pod& pod);

struct PodInfo {
  std::shared_ptr<const Pod> pod;
  std::string key;
  Resources requests;
  Resources non_zero_requests;
  std::string owner_uid;
  int32_t priority = 0;

  const Pod& get() const { return *pod; }
};

PodInfo MakePodInfo(std::shared_ptr<const Pod> pod);

class NodeInfo {
 public:
  NodeInfo() = default;
  explicit NodeInfo(std::shared_ptr<const Node> node) { SetNode(std::move(node)); }

  // Replaces the node object (allocatable re-parsed); pods stay counted.
  void SetNode(std::shared_ptr<const Node> node);
  void ClearNode() { node_.reset(); }

  // Counts / uncounts a pod's requests on this node; `ref`, when given, is
  // listed in pods() (RemovePod drops the entry with the same key).
  void AddPod(const Resources& requests, const Resources& non_zero, const std::string& owner_uid,
              std::shared_ptr<const PodRef> ref = nullptr);
  void RemovePod(const Resources& requests, const Resources& non_zero, const std::string& owner_uid,
                 const PodRef* ref = nullptr);
  void AddPod(const PodInfo& p) {
    AddPod(p.requests, p.non_zero_requests, p.owner_uid, MakePodRef(p.get()));
  }

  const Node* node() const { return node_.get(); }
  const std::shared_ptr<const Node>& node_ptr() const { return node_; }
  const std::string& name() const;

  const Resources& allocatable() const { return allocatable_; }
  int64_t allowed_pods() const { return allowed_pods_; }
  const Resources& requested() const { return requested_; }
  const Resources& non_zero_requested() const { return non_zero_requested_; }
  int num_pods() const { return num_pods_; }
  // Pods on this node whose controller owner has `uid`.
  int PodsWithOwner(const std::string& uid) const;
  // The pods counted here that were added with a PodRef (all, through the
  // cache).
  const std::vector<std::shared_ptr<const PodRef>>& pods() const { return pods_; }
  // Among pods(): those with any pod (anti-)affinity term, and those with a
  // required anti-affinity term.
  int pods_with_affinity() const { return pods_with_affinity_; }
  int pods_with_required_anti_affinity() const { return pods_with_required_anti_affinity_; }

  // Test helpers: set the figures directly.
  void SetAllocatableForTest(Resources r, int64_t pods) {
    allocatable_ = r;
    allowed_pods_ = pods;
  }

 private:
  std::shared_ptr<const Node> node_;
  Resources allocatable_;
  int64_t allowed_pods_ = 0;
  Resources requested_;
  Resources non_zero_requested_;
  int num_pods_ = 0;
  absl::flat_hash_map<std::string, int> owner_counts_;
  std::vector<std::shared_ptr<const PodRef>> pods_;
  int pods_with_affinity_ = 0;
  int pods_with_required_anti_affinity_ = 0;
};

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_FRAMEWORK_TYPES_H_
