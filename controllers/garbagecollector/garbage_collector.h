// The garbage collector (Kubernetes pkg/controller/garbagecollector), over
// the kinds the controller-manager caches: Deployments, ReplicaSets, Pods,
// and whatever else AddKind names (Services and EndpointSlices when the
// endpoint controllers run).
//
// Ownership comes from metadata.ownerReferences (owner uid, kind, name; the
// owner lives in the dependent's namespace). Work items are
// "dependent|<Kind>|ns/name" (check whether the object lost its owners) and
// "owner|<Kind>|ns/name" (an owner being deleted with a finalizer):
//   - background: when none of a dependent's owners exists any more (absent
//     from the cache and confirmed by a fresh GET: NotFound or another uid),
//     the dependent is deleted (its own dependents follow the same way);
//   - foreground: an owner with deletionTimestamp and the
//     `foregroundDeletion` finalizer gets its dependents deleted (in
//     foreground too); when no dependent with blockOwnerDeletion=true is
//     left, the finalizer is removed and the apiserver drops the owner;
//   - orphan: an owner with deletionTimestamp and the `orphan` finalizer
//     has its references stripped from every dependent, then the finalizer
//     removed.
// Owners of other kinds are never assumed gone.
//
// Thread safety: handlers and Sync are safe from any thread. The clientset
// and informers are borrowed and must outlive the collector.
#ifndef MINIK8S_CONTROLLERS_GARBAGECOLLECTOR_GARBAGE_COLLECTOR_H_
#define MINIK8S_CONTROLLERS_GARBAGECOLLECTOR_GARBAGE_COLLECTOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/clientset.h"
#include "client/informer.h"
#include "client/workqueue.h"
#include "controllers/util/worker.h"
#include "google/protobuf/message.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

inline constexpr char kForegroundDeletionFinalizer[] = "foregroundDeletion";
inline constexpr char kOrphanFinalizer[] = "orphan";

class GarbageCollector {
 public:
  GarbageCollector(const client::Clientset* clientset,
                   client::Informer<minik8s::apps::v1::Deployment>* deployments,
                   client::Informer<minik8s::apps::v1::ReplicaSet>* replicasets,
                   client::Informer<minik8s::core::v1::Pod>* pods);
  ~GarbageCollector();

  // Watches one more kind, as owner and as dependent (before Run).
  // `resource` is its plural name ("services"); `informer` must outlive the
  // collector.
  template <typename T>
  void AddKind(client::Informer<T>* informer, const std::string& kind,
               const std::string& resource) {
    AddCachedKind(kind, resource, &informer->GetIndexer(), &T::default_instance());
    using Ptr = typename client::Informer<T>::Ptr;
    informer->AddEventHandler({
        .on_add = [this, kind](const Ptr& o) { OnObject(kind, *o, false); },
        .on_update = [this, kind](const Ptr&, const Ptr& o) { OnObject(kind, *o, false); },
        .on_delete = [this, kind](const Ptr& o, bool) { OnObject(kind, *o, true); },
    });
  }

  void Run(int workers);
  void Stop();
  absl::Status Sync(const std::string& item);
  client::WorkQueue* queue() { return &queue_; }

 private:
  struct KindOps;  // per-kind lister and client calls
  void AddCachedKind(const std::string& kind, const std::string& resource,
                     const client::Indexer* cache, const google::protobuf::Message* prototype);
  const KindOps* OpsFor(const std::string& kind) const;
  // An object changed (or appeared / vanished): enqueue what it implies.
  void OnObject(const std::string& kind, const google::protobuf::Message& object, bool deleted);
  // Dependents (any cached kind) with an ownerReference to `uid` in `ns`.
  std::vector<std::pair<std::string, client::ObjectPtr>> Dependents(const std::string& ns,
                                                                    const std::string& uid) const;
  // Whether the owner a reference names still exists.
  absl::StatusOr<bool> OwnerExists(const std::string& ns,
                                   const minik8s::meta::v1::OwnerReference& ref) const;
  absl::Status SyncDependent(const KindOps& ops, const std::string& ns, const std::string& name);
  absl::Status SyncOwner(const KindOps& ops, const std::string& ns, const std::string& name);

  const client::Clientset* cs_;
  std::vector<std::unique_ptr<KindOps>> kinds_;
  client::WorkQueue queue_;
  WorkerPool workers_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_GARBAGECOLLECTOR_GARBAGE_COLLECTOR_H_
