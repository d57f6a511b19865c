// Snapshot: the scheduling cycle's frozen view of the nodes, taken from the
// Cache at the start of each cycle (Cache::UpdateSnapshot). Only NodeInfos
// that changed since the previous snapshot are copied (found by comparing
// per-node generation numbers); nothing is ever recomputed from pods.
//
// Node order is by name; the algorithm rotates its starting index over it.
//
// Thread safety: owned by the scheduling loop. Read concurrently by the
// parallelizer's threads during a cycle; never written while a cycle reads.
#ifndef MINIK8S_SCHEDULER_CACHE_SNAPSHOT_H_
#define MINIK8S_SCHEDULER_CACHE_SNAPSHOT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "scheduler/framework/types.h"

namespace minik8s::scheduler {

class Snapshot {
 public:
  Snapshot() = default;
  // A snapshot of exactly `nodes` (each with a Node object), e.g. in tests.
  explicit Snapshot(std::vector<NodeInfo> nodes) : nodes_(std::move(nodes)) {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      index_[nodes_[i].name()] = i;
      pods_with_affinity_ += nodes_[i].pods_with_affinity();
      pods_with_required_anti_affinity_ += nodes_[i].pods_with_required_anti_affinity();
    }
  }

  // The nodes with a Node object, by name.
  const std::vector<NodeInfo>& nodes() const { return nodes_; }
  // Pods with any pod (anti-)affinity term, and with a required
  // anti-affinity term, on the nodes (from the cache, whose count may also
  // include pods of nodes without a Node object): lets inter-pod plugins
  // skip looking at every node when there are none.
  int pods_with_affinity() const { return pods_with_affinity_; }
  int pods_with_required_anti_affinity() const { return pods_with_required_anti_affinity_; }
  int NumNodes() const { return static_cast<int>(nodes_.size()); }
  // Null when absent.
  const NodeInfo* Get(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &nodes_[it->second];
  }

 private:
  friend class Cache;
  std::vector<NodeInfo> nodes_;
  absl::flat_hash_map<std::string, size_t> index_;
  uint64_t generation_ = 0;  // of the cache when last updated
  int pods_with_affinity_ = 0;
  int pods_with_required_anti_affinity_ = 0;
};

}  // namespace minik8s::scheduler

#endif  // MINIK8S_SCHEDULER_CACHE_SNAPSHOT_H_
