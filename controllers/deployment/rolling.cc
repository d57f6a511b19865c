// Deployment controller: the RollingUpdate strategy (Kubernetes
// pkg/controller/deployment/rolling.go). Each sync scales the new
// ReplicaSet up within maxSurge, then old ReplicaSets down within
// maxUnavailable — unhealthy replicas first, then the oldest ReplicaSets.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "controllers/deployment/deployment_controller.h"

namespace minik8s::controllers::deployment {

absl::Status DeploymentController::RolloutRolling(Deployment* d, const RsList& rs_list) {
  RsList old_rss;
  auto new_rs = GetAllReplicaSetsAndSyncRevision(d, rs_list, true, &old_rss);
  if (!new_rs.ok()) return new_rs.status();
  RsList all = old_rss;
  all.push_back(*new_rs);

  auto scaled_up = ReconcileNewReplicaSet(all, *new_rs, *d);
  if (!scaled_up.ok()) return scaled_up.status();
  if (*scaled_up) return SyncRolloutStatus(all, *new_rs, d);

  auto scaled_down = ReconcileOldReplicaSets(all, FilterActiveReplicaSets(old_rss), *new_rs, *d);
  if (!scaled_down.ok()) return scaled_down.status();
  if (*scaled_down) return SyncRolloutStatus(all, *new_rs, d);

  if (DeploymentComplete(*d, d->status())) {
    if (absl::Status s = CleanupDeployment(old_rss, *d); !s.ok()) return s;
  }
  return SyncRolloutStatus(all, *new_rs, d);
}

absl::StatusOr<bool> DeploymentController::ReconcileNewReplicaSet(const RsList& all_rss,
                                                                  const RsPtr& new_rs,
                                                                  const Deployment& d) {
  if (Replicas(*new_rs) == Replicas(d)) return false;
  if (Replicas(*new_rs) > Replicas(d)) {
    return ScaleReplicaSetAndRecordEvent(new_rs, Replicas(d), d);
  }
  auto count = NewRSNewReplicas(d, all_rss, *new_rs);
  if (!count.ok()) return count.status();
  return ScaleReplicaSetAndRecordEvent(new_rs, *count, d);
}

absl::StatusOr<bool> DeploymentController::ReconcileOldReplicaSets(const RsList& all_rss,
                                                                   RsList old_rss,
                                                                   const RsPtr& new_rs,
                                                                   const Deployment& d) {
  if (GetReplicaCountForReplicaSets(old_rss) == 0) return false;
  const int64_t max_scaled_down = MaxScaledDown(d, all_rss, new_rs.get());
  if (max_scaled_down <= 0) return false;
  // Unhealthy old replicas first: they do not count as available anyway.
  auto cleaned = CleanupUnhealthyReplicas(&old_rss, d, max_scaled_down);
  if (!cleaned.ok()) return cleaned.status();
  RsList all = old_rss;
  all.push_back(new_rs);
  auto scaled = ScaleDownOldReplicaSetsForRollingUpdate(all, old_rss, d);
  if (!scaled.ok()) return scaled.status();
  return *cleaned + *scaled > 0;
}

absl::StatusOr<int64_t> DeploymentController::CleanupUnhealthyReplicas(RsList* old_rss,
                                                                       const Deployment& d,
                                                                       int64_t max_cleanup) {
  SortByCreation(old_rss);
  int64_t total = 0;
  for (const RsPtr& rs : *old_rss) {
    if (total >= max_cleanup) break;
    if (Replicas(*rs) == 0) continue;
    // All healthy. Also when the status still counts more available pods
    // than spec.replicas (a scale-down whose deletions the ReplicaSet's
    // status does not show yet): none of its wanted replicas is unhealthy.
    if (rs->status().available_replicas() >= Replicas(*rs)) continue;
    // ≤ spec.replicas − available (> 0 here), so it fits an int32.
    const int32_t count = static_cast<int32_t>(std::min<int64_t>(
        max_cleanup - total, int64_t{Replicas(*rs)} - rs->status().available_replicas()));
    const int32_t new_size = Replicas(*rs) - count;
    if (new_size > Replicas(*rs)) {
      return absl::InternalError(
          absl::StrCat("when cleaning up unhealthy replicas, got invalid "
                       "request to scale down ",
                       rs->metadata().name(), " ", Replicas(*rs), " -> ", new_size));
    }
    if (auto s = ScaleReplicaSetAndRecordEvent(rs, new_size, d); !s.ok()) return s.status();
    total += count;
  }
  return total;
}

absl::StatusOr<int64_t> DeploymentController::ScaleDownOldReplicaSetsForRollingUpdate(
    const RsList& all_rss, RsList old_rss, const Deployment& d) {
  const int64_t min_available = int64_t{Replicas(d)} - MaxUnavailable(d);
  // A ReplicaSet's available pods beyond its spec.replicas are being
  // deleted (its status lags a scale-down): counting them would scale the
  // others down too far, below minAvailable.
  int64_t available = 0;  // a sum over ReplicaSets: int64 (replica_math.h)
  for (const RsPtr& rs : all_rss) {
    if (rs != nullptr) available += std::min(rs->status().available_replicas(), Replicas(*rs));
  }
  if (available <= min_available) return 0;
  SortByCreation(&old_rss);
  const int64_t to_scale_down = available - min_available;
  int64_t total = 0;
  for (const RsPtr& rs : old_rss) {
    if (total >= to_scale_down) break;
    if (Replicas(*rs) == 0) continue;
    const int32_t count =
        static_cast<int32_t>(std::min<int64_t>(Replicas(*rs), to_scale_down - total));
    const int32_t new_size = Replicas(*rs) - count;
    if (new_size > Replicas(d)) {
      return absl::InternalError(
          absl::StrCat("when scaling down old replica set, got invalid "
                       "request to scale down ",
                       rs->metadata().name(), " ", Replicas(*rs), " -> ", new_size));
    }
    if (auto s = ScaleReplicaSetAndRecordEvent(rs, new_size, d); !s.ok()) return s.status();
    total += count;
  }
  return total;
}

}  // namespace minik8s::controllers::deployment
