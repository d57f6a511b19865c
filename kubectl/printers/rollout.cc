#include "kubectl/printers/rollout.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "kubectl/printers/describe.h"
#include "kubectl/printers/table.h"

namespace minik8s::kubectl {

using api::kPodTemplateHashLabel;

absl::StatusOr<RolloutState> DeploymentRolloutStatus(const apps::v1::Deployment& d,
                                                     int64_t revision) {
  const std::string& name = d.metadata().name();
  if (revision > 0) {
    const int64_t current = RevisionOf(d.metadata());
    if (current != revision) {
      return absl::FailedPreconditionError(
          absl::StrCat("desired revision (", revision, ") is different from the running revision (",
                       current, ")"));
    }
  }
  const auto& s = d.status();
  if (d.metadata().generation() <= s.observed_generation()) {
    for (const auto& c : s.conditions()) {
      if (c.type() == "Progressing" && c.reason() == "ProgressDeadlineExceeded") {
        return absl::DeadlineExceededError(
            absl::StrCat("deployment \"", name, "\" exceeded its progress deadline"));
      }
    }
    const int replicas = d.spec().has_replicas() ? d.spec().replicas() : 1;
    if (d.spec().has_replicas() && s.updated_replicas() < replicas) {
      return RolloutState{absl::StrCat("Waiting for deployment \"", name,
                                       "\" rollout to finish: ", s.updated_replicas(), " out of ",
                                       replicas, " new replicas have been updated...\n"),
                          false};
    }
    if (s.replicas() > s.updated_replicas()) {
      return RolloutState{absl::StrCat("Waiting for deployment \"", name, "\" rollout to finish: ",
                                       s.replicas() - s.updated_replicas(),
                                       " old replicas are pending termination...\n"),
                          false};
    }
    if (s.available_replicas() < s.updated_replicas()) {
      return RolloutState{absl::StrCat("Waiting for deployment \"", name, "\" rollout to finish: ",
                                       s.available_replicas(), " of ", s.updated_replicas(),
                                       " updated replicas are available...\n"),
                          false};
    }
    return RolloutState{absl::StrCat("deployment \"", name, "\" successfully rolled out\n"), true};
  }
  return RolloutState{"Waiting for deployment spec update to be observed...\n", false};
}

int64_t RevisionOf(const minik8s::meta::v1::ObjectMeta& meta) {
  auto it = meta.annotations().find(kRevisionAnnotation);
  int64_t v = 0;
  if (it == meta.annotations().end() || !absl::SimpleAtoi(it->second, &v)) return 0;
  return v;
}

std::string RolloutHistoryTable(const std::vector<const apps::v1::ReplicaSet*>& sets) {
  std::map<int64_t, std::string> revisions;
  for (const auto* rs : sets) {
    const int64_t rev = RevisionOf(rs->metadata());
    if (rev == 0) continue;
    auto it = rs->metadata().annotations().find(kChangeCauseAnnotation);
    revisions[rev] =
        it == rs->metadata().annotations().end() || it->second.empty() ? "<none>" : it->second;
  }
  std::string text = "REVISION\tCHANGE-CAUSE\n";
  for (const auto& [rev, cause] : revisions) absl::StrAppend(&text, rev, "\t", cause, "\n");
  return TabAlign(text, 0, 2);
}

absl::StatusOr<const apps::v1::ReplicaSet*> RollbackTarget(
    const apps::v1::Deployment& d, const std::vector<const apps::v1::ReplicaSet*>& sets,
    int64_t to_revision) {
  std::map<int64_t, const apps::v1::ReplicaSet*> by_revision;
  for (const auto* rs : sets) {
    const int64_t rev = RevisionOf(rs->metadata());
    if (rev > 0) by_revision[rev] = rs;
  }
  if (to_revision > 0) {
    auto it = by_revision.find(to_revision);
    if (it == by_revision.end()) {
      return absl::NotFoundError(
          absl::StrCat("unable to find specified revision ", to_revision, " in history"));
    }
    return it->second;
  }
  if (by_revision.size() < 2) {
    return absl::NotFoundError(
        absl::StrCat("no rollout history found for deployment \"", d.metadata().name(), "\""));
  }
  // The second highest revision: the one before the current.
  auto it = by_revision.rbegin();
  ++it;
  return it->second;
}

core::v1::PodTemplateSpec TemplateWithoutHash(const apps::v1::ReplicaSet& rs) {
  core::v1::PodTemplateSpec t = rs.spec().template_();
  t.mutable_metadata()->mutable_labels()->erase(kPodTemplateHashLabel);
  return t;
}

google::protobuf::Map<std::string, std::string> RollbackAnnotations(
    const apps::v1::Deployment& d, const apps::v1::ReplicaSet& rs) {
  google::protobuf::Map<std::string, std::string> out;
  for (const auto& [k, v] : d.metadata().annotations()) {
    if (api::IsRolloutBookkeepingAnnotation(k)) out[k] = v;
  }
  for (const auto& [k, v] : rs.metadata().annotations()) {
    if (!api::IsRolloutBookkeepingAnnotation(k)) out[k] = v;
  }
  return out;
}

bool EqualIgnoreHash(const core::v1::PodTemplateSpec& a, const core::v1::PodTemplateSpec& b) {
  core::v1::PodTemplateSpec ca = a;
  core::v1::PodTemplateSpec cb = b;
  ca.mutable_metadata()->mutable_labels()->erase(kPodTemplateHashLabel);
  cb.mutable_metadata()->mutable_labels()->erase(kPodTemplateHashLabel);
  // MessageDifferencer compares map fields entry by entry; the serialized
  // bytes of a map follow its (unspecified) iteration order.
  return google::protobuf::util::MessageDifferencer::Equals(ca, cb);
}

core::v1::PodTemplateSpec HistoryTemplate(const apps::v1::ReplicaSet& rs) {
  core::v1::PodTemplateSpec t = rs.spec().template_();
  auto it = rs.metadata().annotations().find(kChangeCauseAnnotation);
  if (it != rs.metadata().annotations().end() && !it->second.empty()) {
    (*t.mutable_metadata()->mutable_annotations())[kChangeCauseAnnotation] = it->second;
  }
  return t;
}

std::string RolloutRevisionText(const std::string& deployment_name, int64_t revision,
                                const apps::v1::ReplicaSet& rs) {
  return absl::StrCat("deployment.apps/", deployment_name, " with revision #", revision, "\n",
                      DescribePodTemplateText(HistoryTemplate(rs)), "\n");
}

}  // namespace minik8s::kubectl
