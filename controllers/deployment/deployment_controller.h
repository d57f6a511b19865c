// The Deployment controller (Kubernetes pkg/controller/deployment): rolls a
// Deployment's pod template out through ReplicaSets.
//
// Handlers enqueue the Deployment's key (for a ReplicaSet: its controlling
// Deployment, or every Deployment whose selector matches an orphan; for a
// deleted pod of a Recreate Deployment: that Deployment). Sync(key):
//   - claims ReplicaSets (adopt matching orphans, release non-matching);
//   - being deleted → status only; paused → scale only (and the
//     DeploymentPaused/DeploymentResumed Progressing condition);
//   - replicas changed (a ReplicaSet's desired-replicas annotation differs)
//     → proportional scaling (sync.cc);
//   - otherwise the strategy: rolling.cc or recreate.cc; progress.cc keeps
//     the Progressing condition and the progress deadline.
// The new ReplicaSet is `<name>-<pod-template-hash>`; a template equal to an
// old ReplicaSet's (rollback) reuses that ReplicaSet with a new revision.
// Events: ScalingReplicaSet ("Scaled up replica set x to 3", "Scaled down
// replica set x to 1 from 2"), FailedCreate, SelectingAll.
//
// Thread safety: handlers and Sync are safe from any thread; one key is
// synced by one worker at a time. Borrowed objects (listers' informers,
// client, recorder, clock) must outlive the controller.
#ifndef MINIK8S_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CONTROLLER_H_
#define MINIK8S_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CONTROLLER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/lister.h"
#include "client/workqueue.h"
#include "common/clock.h"
#include "controllers/deployment/deployment_client.h"
#include "controllers/deployment/deployment_util.h"
#include "controllers/util/worker.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers::deployment {

struct DeploymentControllerOptions {
  common::Clock* clock = nullptr;  // null = real clock
};

class DeploymentController {
 public:
  using DeploymentPtr = std::shared_ptr<const Deployment>;
  using ReplicaSetPtr = std::shared_ptr<const ReplicaSet>;
  using PodPtr = std::shared_ptr<const minik8s::core::v1::Pod>;

  DeploymentController(client::Lister<Deployment> d_lister, client::Lister<ReplicaSet> rs_lister,
                       client::Lister<minik8s::core::v1::Pod> pod_lister, DeploymentClient* client,
                       client::EventRecorder* recorder, DeploymentControllerOptions options = {});
  ~DeploymentController();

  void RegisterHandlers(client::Informer<Deployment>* d_informer,
                        client::Informer<ReplicaSet>* rs_informer,
                        client::Informer<minik8s::core::v1::Pod>* pod_informer);
  void Run(int workers);
  void Stop();

  absl::Status Sync(const std::string& key);

  void OnDeploymentAdd(const DeploymentPtr& d);
  void OnDeploymentUpdate(const DeploymentPtr& old_d, const DeploymentPtr& cur);
  void OnDeploymentDelete(const DeploymentPtr& d);
  void OnReplicaSetAdd(const ReplicaSetPtr& rs);
  void OnReplicaSetUpdate(const ReplicaSetPtr& old_rs, const ReplicaSetPtr& cur);
  void OnReplicaSetDelete(const ReplicaSetPtr& rs);
  void OnPodDelete(const PodPtr& pod);

  client::WorkQueue* queue() { return &queue_; }

 private:
  // --- deployment_controller.cc: wiring and claiming
  DeploymentPtr ResolveControllerRef(const std::string& ns,
                                     const minik8s::meta::v1::OwnerReference& ref) const;
  std::vector<DeploymentPtr> DeploymentsForReplicaSet(const ReplicaSet& rs) const;
  void Enqueue(const Deployment& d);
  absl::StatusOr<RsList> ClaimReplicaSets(const Deployment& d);
  // Pods of each ReplicaSet (by ReplicaSet uid), for Recreate.
  std::map<std::string, std::vector<PodPtr>> PodMap(const RsList& rs_list) const;

  // --- sync.cc
  // Finds (or, when create is set, creates) the new ReplicaSet and syncs the
  // revision; fills `old_rss` with every other ReplicaSet. `d` is updated
  // with the server's answers.
  absl::StatusOr<RsPtr> GetAllReplicaSetsAndSyncRevision(Deployment* d, const RsList& rs_list,
                                                         bool create, RsList* old_rss);
  absl::StatusOr<RsPtr> GetNewReplicaSet(Deployment* d, const RsList& rs_list,
                                         const RsList& old_rss, bool create);
  absl::Status SyncScaleOnly(Deployment* d, const RsList& rs_list);  // sync()
  absl::StatusOr<bool> IsScalingEvent(Deployment* d, const RsList& rs_list);
  absl::Status Scale(const Deployment& d, const RsPtr& new_rs, const RsList& old_rss);
  // True when the size changed.
  absl::StatusOr<bool> ScaleReplicaSetAndRecordEvent(const RsPtr& rs, int32_t new_scale,
                                                     const Deployment& d);
  absl::StatusOr<bool> ScaleReplicaSet(const RsPtr& rs, int32_t new_scale, const Deployment& d,
                                       const std::string& operation);
  absl::Status CleanupDeployment(const RsList& old_rss, const Deployment& d);
  absl::Status SyncDeploymentStatus(const RsList& all_rss, const RsPtr& new_rs, Deployment* d);
  absl::Status CheckPausedConditions(Deployment* d);
  // Writes status / the revision annotation; on a Conflict retries once on
  // a fresh read when the generation is unchanged. `d` becomes the answer.
  absl::Status WriteStatus(Deployment* d, const DeploymentStatus& status);
  absl::Status WriteRevision(Deployment* d, const std::string& revision);
  absl::StatusOr<Deployment> RetryOnFresh(
      const Deployment& d, const absl::Status& conflict,
      const std::function<absl::StatusOr<Deployment>(Deployment)>& write);

  // --- rolling.cc
  absl::Status RolloutRolling(Deployment* d, const RsList& rs_list);
  absl::StatusOr<bool> ReconcileNewReplicaSet(const RsList& all_rss, const RsPtr& new_rs,
                                              const Deployment& d);
  absl::StatusOr<bool> ReconcileOldReplicaSets(const RsList& all_rss, RsList old_rss,
                                               const RsPtr& new_rs, const Deployment& d);
  absl::StatusOr<int64_t> CleanupUnhealthyReplicas(RsList* old_rss, const Deployment& d,
                                                   int64_t max_cleanup);
  absl::StatusOr<int64_t> ScaleDownOldReplicaSetsForRollingUpdate(const RsList& all_rss,
                                                                  RsList old_rss,
                                                                  const Deployment& d);

  // --- recreate.cc
  absl::Status RolloutRecreate(Deployment* d, const RsList& rs_list,
                               const std::map<std::string, std::vector<PodPtr>>& pod_map);

  // --- progress.cc
  absl::Status SyncRolloutStatus(const RsList& all_rss, const RsPtr& new_rs, Deployment* d);
  void RequeueStuckDeployment(const Deployment& d, const DeploymentStatus& status);

  client::Lister<Deployment> d_lister_;
  client::Lister<ReplicaSet> rs_lister_;
  client::Lister<minik8s::core::v1::Pod> pod_lister_;
  DeploymentClient* const client_;
  client::EventRecorder* const recorder_;
  common::Clock* const clock_;
  client::WorkQueue queue_;
  WorkerPool workers_;
};

}  // namespace minik8s::controllers::deployment

#endif  // MINIK8S_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CONTROLLER_H_
