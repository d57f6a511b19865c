// Deployment controller: the new ReplicaSet and revisions, scaling
// (including proportional scaling during a rollout), history cleanup and
// status writes (Kubernetes pkg/controller/deployment/sync.go).
#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/errors.h"
#include "controllers/deployment/deployment_controller.h"
#include "controllers/util/owner_refs.h"
#include "spdlog/spdlog.h"

namespace minik8s::controllers::deployment {

// Our own previous write often makes the cached copy stale (the informer
// has not delivered it yet). When the fresh object still has the same uid
// and generation, what this sync computed is still right: retry once on it
// instead of requeueing with backoff.
absl::StatusOr<Deployment> DeploymentController::RetryOnFresh(
    const Deployment& d, const absl::Status& conflict,
    const std::function<absl::StatusOr<Deployment>(Deployment)>& write) {
  auto fresh = client_->GetDeployment(d.metadata().namespace_(), d.metadata().name());
  if (!fresh.ok()) return conflict;
  if (fresh->metadata().uid() != d.metadata().uid() ||
      fresh->metadata().generation() != d.metadata().generation()) {
    return conflict;  // the spec moved on: sync again from the cache
  }
  return write(*std::move(fresh));
}

absl::Status DeploymentController::WriteStatus(Deployment* d, const DeploymentStatus& status) {
  auto write = [&](Deployment target) {
    *target.mutable_status() = status;
    return client_->UpdateDeploymentStatus(target);
  };
  auto updated = write(*d);
  if (api::IsConflict(updated.status())) updated = RetryOnFresh(*d, updated.status(), write);
  if (!updated.ok()) return updated.status();
  *d = *std::move(updated);
  return absl::OkStatus();
}

absl::Status DeploymentController::WriteRevision(Deployment* d, const std::string& revision) {
  Deployment with_revision = *d;
  if (!SetDeploymentRevision(&with_revision, revision)) return absl::OkStatus();
  auto write = [&](Deployment target) {
    SetDeploymentRevision(&target, revision);
    return client_->UpdateDeployment(target);
  };
  auto updated = write(*d);
  if (api::IsConflict(updated.status())) updated = RetryOnFresh(*d, updated.status(), write);
  if (!updated.ok()) return updated.status();
  *d = *std::move(updated);
  return absl::OkStatus();
}

absl::StatusOr<RsPtr> DeploymentController::GetAllReplicaSetsAndSyncRevision(Deployment* d,
                                                                             const RsList& rs_list,
                                                                             bool create,
                                                                             RsList* old_rss) {
  *old_rss = FindOldReplicaSets(*d, rs_list);
  return GetNewReplicaSet(d, rs_list, *old_rss, create);
}

absl::StatusOr<RsPtr> DeploymentController::GetNewReplicaSet(Deployment* d, const RsList& rs_list,
                                                             const RsList& old_rss, bool create) {
  RsPtr existing = FindNewReplicaSet(*d, rs_list);
  const std::string new_revision = absl::StrCat(MaxRevision(old_rss) + 1);
  const absl::Time now = clock_->Now();

  if (existing != nullptr) {
    ReplicaSet copy = *existing;
    const bool annotations_updated = SetNewReplicaSetAnnotations(*d, &copy, new_revision, true);
    const bool min_ready_changed = copy.spec().min_ready_seconds() != d->spec().min_ready_seconds();
    if (annotations_updated || min_ready_changed) {
      copy.mutable_spec()->set_min_ready_seconds(d->spec().min_ready_seconds());
      auto updated = client_->UpdateReplicaSet(copy);
      if (!updated.ok()) return updated.status();
      *existing = *std::move(updated);
      return existing;
    }
    // The Deployment carries the revision of its new ReplicaSet.
    auto rev = copy.metadata().annotations().find(kRevisionAnnotation);
    if (rev != copy.metadata().annotations().end()) {
      if (absl::Status s = WriteRevision(d, rev->second); !s.ok()) return s;
    }
    if (HasProgressDeadline(*d) && GetCondition(d->status(), kConditionProgressing) == nullptr) {
      DeploymentStatus status = d->status();
      SetCondition(&status, NewCondition(kConditionProgressing, "True", kReasonFoundNewReplicaSet,
                                         absl::StrFormat("Found new replica set \"%s\"",
                                                         copy.metadata().name()),
                                         now));
      if (absl::Status s = WriteStatus(d, status); !s.ok()) return s;
    }
    return existing;
  }
  if (!create) return RsPtr();

  // A new ReplicaSet for the current template.
  std::optional<int32_t> collision;
  if (d->status().has_collision_count()) collision = d->status().collision_count();
  const std::string hash = ComputeHash(d->spec().template_(), collision);
  auto rs = std::make_shared<ReplicaSet>();
  auto* meta = rs->mutable_metadata();
  meta->set_name(absl::StrCat(d->metadata().name(), "-", hash));
  meta->set_namespace_(d->metadata().namespace_());
  *meta->add_owner_references() = NewControllerRef(d->metadata(), "apps/v1", "Deployment");
  auto* tmpl = rs->mutable_spec()->mutable_template_();
  *tmpl = d->spec().template_();
  (*tmpl->mutable_metadata()->mutable_labels())[kPodTemplateHashLabel] = hash;
  *meta->mutable_labels() = tmpl->metadata().labels();
  *rs->mutable_spec()->mutable_selector() = d->spec().selector();
  (*rs->mutable_spec()->mutable_selector()->mutable_match_labels())[kPodTemplateHashLabel] = hash;
  rs->mutable_spec()->set_min_ready_seconds(d->spec().min_ready_seconds());
  rs->mutable_spec()->set_replicas(0);
  RsList all = old_rss;
  all.push_back(rs);
  auto new_replicas = NewRSNewReplicas(*d, all, *rs);
  if (!new_replicas.ok()) return new_replicas.status();
  rs->mutable_spec()->set_replicas(*new_replicas);
  SetNewReplicaSetAnnotations(*d, rs.get(), new_revision, false);

  bool already_exists = false;
  auto created = client_->CreateReplicaSet(*rs);
  if (!created.ok() && api::IsAlreadyExists(created.status())) {
    // Ours already (an informer lagging behind), or a hash collision. Only a
    // ReplicaSet the cache has seen can tell which: one it has not (a create
    // whose answer was lost, then a watch that broke) is retried later rather
    // than counted as a collision, or every lost answer would start another
    // ReplicaSet with the same template under the next hash.
    auto cached = rs_lister_.Get(meta->namespace_(), meta->name());
    if (cached == nullptr) {
      return absl::UnavailableError(
          absl::StrFormat("replica set \"%s\" exists but is not in the cache yet", meta->name()));
    }
    const minik8s::meta::v1::OwnerReference* ref = GetControllerOf(cached->metadata());
    if (ref != nullptr && ref->uid() == d->metadata().uid() &&
        EqualIgnoreHash(cached->spec().template_(), d->spec().template_())) {
      already_exists = true;
      created = *cached;
    } else {
      DeploymentStatus status = d->status();
      status.set_collision_count(status.has_collision_count() ? status.collision_count() + 1 : 1);
      spdlog::warn("deployment {}/{}: hash collision on {}, collisionCount now {}",
                   d->metadata().namespace_(), d->metadata().name(), meta->name(),
                   status.collision_count());
      if (absl::Status s = WriteStatus(d, status); !s.ok()) return s;
      return created.status();  // retried with the new collision count
    }
  }
  if (!created.ok()) {
    const std::string msg = absl::StrFormat("Failed to create new replica set \"%s\": %s",
                                            meta->name(), created.status().message());
    if (HasProgressDeadline(*d)) {
      DeploymentStatus status = d->status();
      SetCondition(&status, NewCondition(kConditionProgressing, "False",
                                         kReasonReplicaSetCreateError, msg, now));
      (void)WriteStatus(d, status);
    }
    recorder_->Event(*d, client::kEventTypeWarning, "FailedCreate", msg);
    return created.status();
  }
  *rs = *std::move(created);
  if (!already_exists && *new_replicas > 0) {
    recorder_->Event(
        *d, client::kEventTypeNormal, "ScalingReplicaSet",
        absl::StrFormat("Scaled up replica set %s to %d", rs->metadata().name(), *new_replicas));
  }
  if (absl::Status s = WriteRevision(d, new_revision); !s.ok()) return s;
  if (!already_exists && HasProgressDeadline(*d)) {
    DeploymentStatus status = d->status();
    SetCondition(&status, NewCondition(kConditionProgressing, "True", kReasonNewReplicaSetCreated,
                                       absl::StrFormat("Created new replica set \"%s\"",
                                                       rs->metadata().name()),
                                       now));
    if (absl::Status s = WriteStatus(d, status); !s.ok()) return s;
  }
  return rs;
}

absl::StatusOr<bool> DeploymentController::IsScalingEvent(Deployment* d, const RsList& rs_list) {
  RsList old_rss;
  auto new_rs = GetAllReplicaSetsAndSyncRevision(d, rs_list, false, &old_rss);
  if (!new_rs.ok()) return new_rs.status();
  RsList all = old_rss;
  if (*new_rs != nullptr) all.push_back(*new_rs);
  for (const RsPtr& rs : FilterActiveReplicaSets(all)) {
    auto desired = DesiredReplicasAnnotation(*rs);
    if (desired.has_value() && *desired != Replicas(*d)) return true;
  }
  return false;
}

absl::Status DeploymentController::SyncScaleOnly(Deployment* d, const RsList& rs_list) {
  RsList old_rss;
  auto new_rs = GetAllReplicaSetsAndSyncRevision(d, rs_list, false, &old_rss);
  if (!new_rs.ok()) return new_rs.status();
  if (absl::Status s = Scale(*d, *new_rs, old_rss); !s.ok()) return s;
  if (d->spec().paused()) {
    if (absl::Status s = CleanupDeployment(old_rss, *d); !s.ok()) return s;
  }
  RsList all = old_rss;
  if (*new_rs != nullptr) all.push_back(*new_rs);
  return SyncDeploymentStatus(all, *new_rs, d);
}

absl::Status DeploymentController::Scale(const Deployment& d, const RsPtr& new_rs,
                                         const RsList& old_rss) {
  // One active ReplicaSet (or none): it takes the whole size.
  if (RsPtr target = FindActiveOrLatest(new_rs, old_rss)) {
    if (Replicas(*target) == Replicas(d)) return absl::OkStatus();
    return ScaleReplicaSetAndRecordEvent(target, Replicas(d), d).status();
  }
  // The new ReplicaSet is saturated: old ones go to zero.
  if (IsSaturated(d, new_rs.get())) {
    for (const RsPtr& old : FilterActiveReplicaSets(old_rss)) {
      if (auto s = ScaleReplicaSetAndRecordEvent(old, 0, d); !s.ok()) return s.status();
    }
    return absl::OkStatus();
  }
  // Several active ReplicaSets mid-rollout: proportional scaling.
  if (IsRollingUpdate(d)) {
    RsList all = old_rss;
    if (new_rs != nullptr) all.push_back(new_rs);
    RsList active = FilterActiveReplicaSets(all);
    const int64_t current = GetReplicaCountForReplicaSets(active);
    const int64_t allowed = Replicas(d) > 0 ? int64_t{Replicas(d)} + MaxSurge(d) : 0;
    const std::string operation = allowed > current ? "up" : (allowed < current ? "down" : "");
    std::map<std::string, int32_t> sizes = ProportionalSizes(d, &active);
    for (const RsPtr& rs : active) {
      auto scaled = ScaleReplicaSet(rs, sizes[rs->metadata().name()], d, operation);
      if (!scaled.ok()) return scaled.status();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> DeploymentController::ScaleReplicaSetAndRecordEvent(const RsPtr& rs,
                                                                         int32_t new_scale,
                                                                         const Deployment& d) {
  if (Replicas(*rs) == new_scale) return false;
  return ScaleReplicaSet(rs, new_scale, d, Replicas(*rs) > new_scale ? "down" : "up");
}

absl::StatusOr<bool> DeploymentController::ScaleReplicaSet(const RsPtr& rs, int32_t new_scale,
                                                           const Deployment& d,
                                                           const std::string& operation) {
  const bool size_changes = Replicas(*rs) != new_scale;
  const int32_t max_replicas = MaxReplicas(d);
  const bool annotations_change = ReplicasAnnotationsNeedUpdate(*rs, Replicas(d), max_replicas);
  if (!size_changes && !annotations_change) return false;
  const int32_t old_scale = Replicas(*rs);
  ReplicaSet copy = *rs;
  copy.mutable_spec()->set_replicas(new_scale);
  SetReplicasAnnotations(&copy, Replicas(d), max_replicas);
  auto updated = client_->UpdateReplicaSet(copy);
  if (!updated.ok()) return updated.status();
  *rs = *std::move(updated);
  if (size_changes) {
    recorder_->Event(d, client::kEventTypeNormal, "ScalingReplicaSet",
                     absl::StrFormat("Scaled %s replica set %s to %d from %d", operation,
                                     rs->metadata().name(), new_scale, old_scale));
  }
  return size_changes;
}

absl::Status DeploymentController::CleanupDeployment(const RsList& old_rss, const Deployment& d) {
  if (!HasRevisionHistoryLimit(d)) return absl::OkStatus();
  RsList cleanable;
  for (const RsPtr& rs : old_rss) {
    if (!rs->metadata().has_deletion_timestamp()) cleanable.push_back(rs);
  }
  const int diff = static_cast<int>(cleanable.size()) - d.spec().revision_history_limit();
  if (diff <= 0) return absl::OkStatus();
  SortByRevision(&cleanable);
  for (int i = 0; i < diff; ++i) {
    const ReplicaSet& rs = *cleanable[i];
    // Only idle ReplicaSets whose latest spec the ReplicaSet controller saw.
    if (rs.status().replicas() != 0 || Replicas(rs) != 0 ||
        rs.metadata().generation() > rs.status().observed_generation() ||
        rs.metadata().has_deletion_timestamp()) {
      continue;
    }
    absl::Status s = client_->DeleteReplicaSet(rs.metadata().namespace_(), rs.metadata().name());
    if (!s.ok() && !api::IsNotFound(s)) return s;
  }
  return absl::OkStatus();
}

absl::Status DeploymentController::SyncDeploymentStatus(const RsList& all_rss, const RsPtr& new_rs,
                                                        Deployment* d) {
  DeploymentStatus status = CalculateStatus(all_rss, new_rs.get(), *d, clock_->Now());
  if (StatusEqual(d->status(), status)) return absl::OkStatus();
  return WriteStatus(d, status);
}

absl::Status DeploymentController::CheckPausedConditions(Deployment* d) {
  if (!HasProgressDeadline(*d)) return absl::OkStatus();
  const DeploymentCondition* cond = GetCondition(d->status(), kConditionProgressing);
  if (cond != nullptr && cond->reason() == kReasonProgressDeadlineExceeded) {
    return absl::OkStatus();  // a timed-out rollout stays timed out
  }
  const bool paused_cond = cond != nullptr && cond->reason() == kReasonDeploymentPaused;
  DeploymentStatus status = d->status();
  if (d->spec().paused() && !paused_cond) {
    SetCondition(&status, NewCondition(kConditionProgressing, "Unknown", kReasonDeploymentPaused,
                                       "Deployment is paused", clock_->Now()));
  } else if (!d->spec().paused() && paused_cond) {
    SetCondition(&status, NewCondition(kConditionProgressing, "Unknown", kReasonDeploymentResumed,
                                       "Deployment is resumed", clock_->Now()));
  } else {
    return absl::OkStatus();
  }
  return WriteStatus(d, status);
}

}  // namespace minik8s::controllers::deployment
