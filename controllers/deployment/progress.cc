// Deployment controller: the Progressing condition and the progress
// deadline (Kubernetes pkg/controller/deployment/progress.go).
#include "absl/strings/str_format.h"
#include "controllers/deployment/deployment_controller.h"
#include "controllers/util/pod_util.h"

namespace minik8s::controllers::deployment {

absl::Status DeploymentController::SyncRolloutStatus(const RsList& all_rss, const RsPtr& new_rs,
                                                     Deployment* d) {
  const absl::Time now = clock_->Now();
  DeploymentStatus status = CalculateStatus(all_rss, new_rs.get(), *d, now);
  if (!HasProgressDeadline(*d)) RemoveCondition(&status, kConditionProgressing);

  const DeploymentCondition* current = GetCondition(d->status(), kConditionProgressing);
  const bool complete_before = status.replicas() == status.updated_replicas() &&
                               current != nullptr &&
                               current->reason() == kReasonNewReplicaSetAvailable;
  if (HasProgressDeadline(*d) && !complete_before) {
    const std::string rs_name = new_rs != nullptr ? new_rs->metadata().name() : "";
    if (DeploymentComplete(*d, status)) {
      const std::string msg =
          new_rs != nullptr
              ? absl::StrFormat("ReplicaSet \"%s\" has successfully progressed.", rs_name)
              : absl::StrFormat("Deployment \"%s\" has successfully progressed.",
                                d->metadata().name());
      SetCondition(&status, NewCondition(kConditionProgressing, "True",
                                         kReasonNewReplicaSetAvailable, msg, now));
    } else if (DeploymentProgressing(*d, status)) {
      const std::string msg =
          new_rs != nullptr
              ? absl::StrFormat("ReplicaSet \"%s\" is progressing.", rs_name)
              : absl::StrFormat("Deployment \"%s\" is progressing.", d->metadata().name());
      DeploymentCondition cond =
          NewCondition(kConditionProgressing, "True", kReasonReplicaSetUpdated, msg, now);
      // Progress moves lastUpdateTime; lastTransitionTime stays while True.
      if (const DeploymentCondition* c = GetCondition(status, kConditionProgressing)) {
        if (c->status() == "True") {
          *cond.mutable_last_transition_time() = c->last_transition_time();
        }
        RemoveCondition(&status, kConditionProgressing);
      }
      SetCondition(&status, std::move(cond));
    } else if (DeploymentTimedOut(*d, status, now)) {
      const std::string msg =
          new_rs != nullptr
              ? absl::StrFormat("ReplicaSet \"%s\" has timed out progressing.", rs_name)
              : absl::StrFormat("Deployment \"%s\" has timed out progressing.",
                                d->metadata().name());
      SetCondition(&status, NewCondition(kConditionProgressing, "False",
                                         kReasonProgressDeadlineExceeded, msg, now));
    }
  }

  // The first ReplicaFailure of the ReplicaSets (new one first) surfaces here.
  const ReplicaSetCondition* failure = nullptr;
  auto find_failure = [&failure](const ReplicaSet& rs) {
    for (const auto& c : rs.status().conditions()) {
      if (failure == nullptr && c.type() == kConditionReplicaFailure) failure = &c;
    }
  };
  if (new_rs != nullptr) find_failure(*new_rs);
  for (const RsPtr& rs : all_rss) {
    if (rs != nullptr) find_failure(*rs);
  }
  if (failure != nullptr) {
    DeploymentCondition c;
    c.set_type(failure->type());
    c.set_status(failure->status());
    c.set_reason(failure->reason());
    c.set_message(failure->message());
    *c.mutable_last_update_time() = failure->last_transition_time();
    *c.mutable_last_transition_time() = failure->last_transition_time();
    SetCondition(&status, std::move(c));
  } else {
    RemoveCondition(&status, kConditionReplicaFailure);
  }

  if (StatusEqual(d->status(), status)) {
    RequeueStuckDeployment(*d, status);
    return absl::OkStatus();
  }
  return WriteStatus(d, status);
}

void DeploymentController::RequeueStuckDeployment(const Deployment& d,
                                                  const DeploymentStatus& status) {
  const DeploymentCondition* c = GetCondition(status, kConditionProgressing);
  if (!HasProgressDeadline(d) || c == nullptr) return;
  if (DeploymentComplete(d, status)) return;
  if (c->reason() == kReasonProgressDeadlineExceeded) return;
  const absl::Time updated = TimeOrZero(c->last_update_time(), c->has_last_update_time());
  const absl::Duration after =
      updated + absl::Seconds(d.spec().progress_deadline_seconds()) - clock_->Now();
  // Check again when the deadline passes (Time has second precision).
  if (after < absl::Seconds(1)) {
    queue_.AddRateLimited(client::KeyOf(d));
  } else {
    queue_.AddAfter(client::KeyOf(d), after + absl::Seconds(1));
  }
}

}  // namespace minik8s::controllers::deployment
