// The ReplicaSet controller (Kubernetes pkg/controller/replicaset): keeps
// the number of active pods a ReplicaSet controls equal to spec.replicas.
//
// Reconcile pattern: the informer handlers (OnPod*, OnReplicaSet*) only
// record expectations and enqueue "namespace/name" of the ReplicaSet;
// workers call Sync(key), which reads the listers and:
//   1. claims pods: adopts matching orphans (adds a controllerRef),
//      releases owned pods that stopped matching; ignores Succeeded/Failed
//      and terminating pods;
//   2. if its expectations are satisfied and it is not being deleted,
//      creates (slow-start batches 1, 2, 4, …, stopping at the first error)
//      or deletes (ranked, see util/pod_ranking.h) at most burst_replicas
//      pods, recording expectations first so it never acts twice on the
//      same gap before the informer has seen its writes;
//   3. writes status (replicas, fullyLabeledReplicas, readyReplicas,
//      availableReplicas, observedGeneration, ReplicaFailure condition).
// Events: SuccessfulCreate "Created pod: x", FailedCreate "Error creating:
// …", SuccessfulDelete "Deleted pod: x", FailedDelete "Error deleting: …".
//
// Thread safety: handlers and Sync are safe from any thread; the work queue
// keeps one key on one worker at a time. The listers' informers, the client,
// the recorder and the clock are borrowed and must outlive the controller.
#ifndef MINIK8S_CONTROLLERS_REPLICASET_REPLICA_SET_CONTROLLER_H_
#define MINIK8S_CONTROLLERS_REPLICASET_REPLICA_SET_CONTROLLER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "api/selector/labels.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/lister.h"
#include "client/workqueue.h"
#include "common/clock.h"
#include "controllers/replicaset/replica_set_client.h"
#include "controllers/util/expectations.h"
#include "controllers/util/pod_ranking.h"
#include "controllers/util/worker.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

struct ReplicaSetControllerOptions {
  int burst_replicas = 500;        // creates/deletes per sync
  common::Clock* clock = nullptr;  // null = real clock
};

class ReplicaSetController {
 public:
  using ReplicaSetPtr = std::shared_ptr<const minik8s::apps::v1::ReplicaSet>;

  ReplicaSetController(client::Lister<minik8s::apps::v1::ReplicaSet> rs_lister,
                       client::Lister<minik8s::core::v1::Pod> pod_lister, ReplicaSetClient* client,
                       client::EventRecorder* recorder, ReplicaSetControllerOptions options = {});
  ~ReplicaSetController();

  // Adds the handlers to the informers (which must outlive the controller).
  void RegisterHandlers(client::Informer<minik8s::apps::v1::ReplicaSet>* rs_informer,
                        client::Informer<minik8s::core::v1::Pod>* pod_informer);
  // Starts `workers` worker threads; Stop() shuts the queue down and joins.
  void Run(int workers);
  void Stop();

  // One reconcile of ReplicaSet `key` ("namespace/name").
  absl::Status Sync(const std::string& key);

  // Informer handlers.
  void OnReplicaSetAdd(const ReplicaSetPtr& rs);
  void OnReplicaSetUpdate(const ReplicaSetPtr& old_rs, const ReplicaSetPtr& cur);
  void OnReplicaSetDelete(const ReplicaSetPtr& rs);
  void OnPodAdd(const PodPtr& pod);
  void OnPodUpdate(const PodPtr& old_pod, const PodPtr& cur);
  void OnPodDelete(const PodPtr& pod);

  client::WorkQueue* queue() { return &queue_; }
  ControllerExpectations* expectations() { return &expectations_; }

 private:
  // The ReplicaSet a controllerRef points to (kind, name and uid match).
  ReplicaSetPtr ResolveControllerRef(const std::string& ns,
                                     const minik8s::meta::v1::OwnerReference& ref) const;
  // ReplicaSets whose selector matches an orphan pod.
  std::vector<ReplicaSetPtr> ReplicaSetsForPod(const minik8s::core::v1::Pod& pod) const;
  void Enqueue(const minik8s::apps::v1::ReplicaSet& rs);
  void EnqueueAfter(const minik8s::apps::v1::ReplicaSet& rs, absl::Duration d);

  absl::StatusOr<std::vector<PodPtr>> ClaimPods(const minik8s::apps::v1::ReplicaSet& rs,
                                                const api::LabelSelector& selector,
                                                const std::vector<PodPtr>& pods);
  absl::Status ManageReplicas(const std::vector<PodPtr>& pods,
                              const minik8s::apps::v1::ReplicaSet& rs, const std::string& key,
                              int* diff_out);
  // Active pods of every ReplicaSet with the same controller as `rs`.
  std::vector<PodPtr> RelatedPods(const minik8s::apps::v1::ReplicaSet& rs,
                                  const std::vector<PodPtr>& own) const;
  absl::StatusOr<minik8s::apps::v1::ReplicaSet> UpdateStatus(
      const minik8s::apps::v1::ReplicaSet& rs, minik8s::apps::v1::ReplicaSetStatus status);

  client::Lister<minik8s::apps::v1::ReplicaSet> rs_lister_;
  client::Lister<minik8s::core::v1::Pod> pod_lister_;
  ReplicaSetClient* const client_;
  client::EventRecorder* const recorder_;
  const ReplicaSetControllerOptions options_;
  common::Clock* const clock_;
  ControllerExpectations expectations_;
  client::WorkQueue queue_;
  WorkerPool workers_;
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_REPLICASET_REPLICA_SET_CONTROLLER_H_
