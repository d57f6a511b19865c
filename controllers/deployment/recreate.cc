// Deployment controller: the Recreate strategy (Kubernetes
// pkg/controller/deployment/recreate.go): scale every old ReplicaSet to
// zero, wait until none of their pods runs, then scale the new one up.
#include "controllers/deployment/deployment_controller.h"

namespace minik8s::controllers::deployment {

absl::Status DeploymentController::RolloutRecreate(
    Deployment* d, const RsList& rs_list,
    const std::map<std::string, std::vector<PodPtr>>& pod_map) {
  RsList old_rss;
  auto new_rs = GetAllReplicaSetsAndSyncRevision(d, rs_list, false, &old_rss);
  if (!new_rs.ok()) return new_rs.status();
  RsList all = old_rss;
  if (*new_rs != nullptr) all.push_back(*new_rs);

  bool scaled_down = false;
  for (const RsPtr& rs : FilterActiveReplicaSets(old_rss)) {
    auto scaled = ScaleReplicaSetAndRecordEvent(rs, 0, *d);
    if (!scaled.ok()) return scaled.status();
    scaled_down = scaled_down || *scaled;
  }
  if (scaled_down) return SyncRolloutStatus(all, *new_rs, d);

  // Old pods still running (or not yet observed gone): wait for them.
  if (GetActualReplicaCountForReplicaSets(old_rss) > 0) return SyncRolloutStatus(all, *new_rs, d);
  for (const auto& [uid, pods] : pod_map) {
    if (*new_rs != nullptr && (*new_rs)->metadata().uid() == uid) continue;
    for (const PodPtr& pod : pods) {
      if (pod->status().phase() != "Failed" && pod->status().phase() != "Succeeded") {
        return SyncRolloutStatus(all, *new_rs, d);
      }
    }
  }

  if (*new_rs == nullptr) {
    new_rs = GetAllReplicaSetsAndSyncRevision(d, rs_list, true, &old_rss);
    if (!new_rs.ok()) return new_rs.status();
    all = old_rss;
    all.push_back(*new_rs);
  }
  if (auto s = ScaleReplicaSetAndRecordEvent(*new_rs, Replicas(*d), *d); !s.ok()) {
    return s.status();
  }
  if (DeploymentComplete(*d, d->status())) {
    if (absl::Status s = CleanupDeployment(old_rss, *d); !s.ok()) return s;
  }
  return SyncRolloutStatus(all, *new_rs, d);
}

}  // namespace minik8s::controllers::deployment
