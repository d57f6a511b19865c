// The Node authorizer's graph (Kubernetes' plugin/pkg/auth/authorizer/node
// graph.go and graph_populator.go), reduced to what a node may reach: for
// each node, the secrets, configmaps and ServiceAccounts that the pods
// bound to it reference. A pod references
//   - a secret: a secret volume, a projected volume's secret source, an
//     env valueFrom.secretKeyRef (containers and init containers);
//   - a configmap: a configMap volume, a projected volume's configMap
//     source, an env valueFrom.configMapKeyRef;
//   - a ServiceAccount: spec.serviceAccountName.
// (minik8s' pods have no envFrom, imagePullSecrets nor persistent volume
// claims, whose references Kubernetes also follows.) A pod without
// spec.nodeName reaches nothing, as in Kubernetes.
//
// NodeGraph is the index: pod → (node, references), and node → reference
// → how many of its pods hold it, so HasPath is two hash lookups whatever
// the number of pods. Changes are applied per pod (SetPod, DeletePod), each
// guarded by the pod's resourceVersion so that an older state never
// replaces a newer one.
//
// CacheNodeGraph keeps a NodeGraph in step with the apiserver's pods watch
// cache: a change listener applies every pod event; the first query, and
// the first after a relist of the cache, lists the cache and merges the
// list in (entries the list lacks and that are not newer than it go;
// deletions seen while merging are kept as tombstones until it is done), so
// no event is lost between the list and the listener.
//
// Thread safety: both are safe for concurrent use. Lock order:
// CacheNodeGraph::rebuild_mu_ → WatchCache's lock (List) → NodeGraph::mu_
// (the listener runs under the cache's lock).
#ifndef MINIK8S_APISERVER_AUTHZ_NODE_GRAPH_H_
#define MINIK8S_APISERVER_AUTHZ_NODE_GRAPH_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apiserver/watch_cache.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver::authz {

enum class GraphVertex { kSecret, kConfigMap, kServiceAccount };

class NodeGraph {
 public:
  virtual ~NodeGraph() = default;

  // The state of `pod` at resourceVersion `revision`; ignored when the
  // graph holds a newer one.
  void SetPod(const core::v1::Pod& pod, int64_t revision);
  // `pod` (its last state, at `revision`) is gone; ignored when the graph
  // holds a newer state of that name.
  void DeletePod(const core::v1::Pod& pod, int64_t revision);

  // Whether a pod bound to `node` references the `vertex` ns/name.
  virtual bool HasPath(const std::string& node, GraphVertex vertex, const std::string& ns,
                       const std::string& name) const;

  size_t pod_count() const;

 protected:
  // Merge mode: deletions leave tombstones (below) until EndMerge.
  void BeginMerge();
  // Makes the graph the list `pods` (at cache revision `revision`) plus
  // what changed after it: entries not in `pods` and not newer than
  // `revision` go; then tombstones go and merge mode ends.
  void EndMerge(const std::vector<std::pair<const core::v1::Pod*, int64_t>>& pods,
                int64_t revision);

 private:
  struct PodEntry {
    int64_t revision = 0;
    std::string node;
    std::vector<std::string> references;  // ReferenceKey()s
    bool tombstone = false;
  };
  void Unlink(const PodEntry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Link(const PodEntry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetPodLocked(const core::v1::Pod& pod, int64_t revision) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  // "ns/name" → entry.
  absl::flat_hash_map<std::string, PodEntry> pods_ ABSL_GUARDED_BY(mu_);
  // node → reference → pods of the node that hold it.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, int>> by_node_
      ABSL_GUARDED_BY(mu_);
  bool merging_ ABSL_GUARDED_BY(mu_) = false;
};

class CacheNodeGraph : public NodeGraph {
 public:
  // `pods` (the pods watch cache) must outlive the graph.
  explicit CacheNodeGraph(WatchCache* pods);
  ~CacheNodeGraph() override;

  // Lists the cache first when the graph has not seen it yet, or since it
  // relisted (waiting up to kReadyTimeout for the cache's first list;
  // false meanwhile).
  bool HasPath(const std::string& node, GraphVertex vertex, const std::string& ns,
               const std::string& name) const override;

  static constexpr absl::Duration kReadyTimeout = absl::Seconds(5);

 private:
  // Lists the cache and merges it in when stale; false when the cache is
  // not ready.
  bool Refresh() const;

  WatchCache* const pods_;
  int listener_ = -1;
  mutable absl::Mutex rebuild_mu_;
  // Relists of the cache seen by the listener (1: the first list), and
  // the count the last merge began at: the graph is stale while they
  // differ. merged_ is written under rebuild_mu_.
  std::atomic<uint64_t> relists_{1};
  mutable std::atomic<uint64_t> merged_{0};
};

}  // namespace minik8s::apiserver::authz

#endif  // MINIK8S_APISERVER_AUTHZ_NODE_GRAPH_H_
