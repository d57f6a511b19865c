#include "controllers/deployment/deployment_util.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/intstr.h"
#include "api/time.h"
#include "common/proto_equal.h"
#include "controllers/util/pod_util.h"
#include "controllers/util/replica_math.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace minik8s::controllers::deployment {
namespace {

using minik8s::core::v1::PodTemplateSpec;

absl::Time CreationTime(const ReplicaSet& rs) {
  return TimeOrZero(rs.metadata().creation_timestamp(), rs.metadata().has_creation_timestamp());
}

std::optional<int32_t> IntAnnotation(const ReplicaSet& rs, const char* key) {
  auto it = rs.metadata().annotations().find(key);
  if (it == rs.metadata().annotations().end()) return std::nullopt;
  int32_t v = 0;
  if (!absl::SimpleAtoi(it->second, &v)) return std::nullopt;
  return v;
}

}  // namespace

int32_t Replicas(const Deployment& d) { return d.spec().has_replicas() ? d.spec().replicas() : 1; }
int32_t Replicas(const ReplicaSet& rs) {
  return rs.spec().has_replicas() ? rs.spec().replicas() : 1;
}

bool IsRollingUpdate(const Deployment& d) {
  return d.spec().strategy().type().empty() || d.spec().strategy().type() == "RollingUpdate";
}

std::string SafeEncodeString(const std::string& s) {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out(s.size(), ' ');
  for (size_t i = 0; i < s.size(); ++i) {
    out[i] = kAlphabet[static_cast<unsigned char>(s[i]) % 27];
  }
  return out;
}

std::string ComputeHash(const PodTemplateSpec& tmpl, std::optional<int32_t> collision_count) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    tmpl.SerializeToCodedStream(&coded);
  }
  uint32_t h = 2166136261u;
  auto add = [&h](unsigned char c) {
    h ^= c;
    h *= 16777619u;
  };
  for (char c : bytes) add(static_cast<unsigned char>(c));
  if (collision_count.has_value()) {
    const uint32_t v = static_cast<uint32_t>(*collision_count);
    for (int i = 0; i < 4; ++i) add(static_cast<unsigned char>((v >> (8 * i)) & 0xff));
    for (int i = 0; i < 4; ++i) add(0);
  }
  return SafeEncodeString(absl::StrCat(h));
}

bool EqualIgnoreHash(const PodTemplateSpec& a, const PodTemplateSpec& b) {
  PodTemplateSpec ca = a, cb = b;
  ca.mutable_metadata()->mutable_labels()->erase(kPodTemplateHashLabel);
  cb.mutable_metadata()->mutable_labels()->erase(kPodTemplateHashLabel);
  return common::ProtoEqual(ca, cb);
}

RsPtr FindNewReplicaSet(const Deployment& d, const RsList& rs_list) {
  RsList sorted = rs_list;
  SortByCreation(&sorted);
  for (const RsPtr& rs : sorted) {
    if (EqualIgnoreHash(rs->spec().template_(), d.spec().template_())) return rs;
  }
  return nullptr;
}

RsList FindOldReplicaSets(const Deployment& d, const RsList& rs_list) {
  RsPtr new_rs = FindNewReplicaSet(d, rs_list);
  RsList out;
  for (const RsPtr& rs : rs_list) {
    if (new_rs != nullptr && rs->metadata().uid() == new_rs->metadata().uid()) continue;
    out.push_back(rs);
  }
  return out;
}

RsList FilterActiveReplicaSets(const RsList& list) {
  RsList out;
  for (const RsPtr& rs : list) {
    if (rs != nullptr && Replicas(*rs) > 0) out.push_back(rs);
  }
  return out;
}

RsPtr FindActiveOrLatest(const RsPtr& new_rs, RsList old_rss) {
  if (new_rs == nullptr && old_rss.empty()) return nullptr;
  SortByCreation(&old_rss);
  std::reverse(old_rss.begin(), old_rss.end());  // newest first
  RsList all = old_rss;
  all.push_back(new_rs);
  RsList active = FilterActiveReplicaSets(all);
  if (active.empty()) return new_rs != nullptr ? new_rs : old_rss.front();
  if (active.size() == 1) return active.front();
  return nullptr;
}

int64_t GetReplicaCountForReplicaSets(const RsList& list) {
  int64_t n = 0;
  for (const RsPtr& rs : list) {
    if (rs != nullptr) n += Replicas(*rs);
  }
  return n;
}
int64_t GetActualReplicaCountForReplicaSets(const RsList& list) {
  int64_t n = 0;
  for (const RsPtr& rs : list) {
    if (rs != nullptr) n += rs->status().replicas();
  }
  return n;
}
int64_t GetReadyReplicaCountForReplicaSets(const RsList& list) {
  int64_t n = 0;
  for (const RsPtr& rs : list) {
    if (rs != nullptr) n += rs->status().ready_replicas();
  }
  return n;
}
int64_t GetAvailableReplicaCountForReplicaSets(const RsList& list) {
  int64_t n = 0;
  for (const RsPtr& rs : list) {
    if (rs != nullptr) n += rs->status().available_replicas();
  }
  return n;
}

bool RsOlder(const ReplicaSet& a, const ReplicaSet& b) {
  const absl::Time ta = CreationTime(a), tb = CreationTime(b);
  if (ta == tb) return a.metadata().name() < b.metadata().name();
  return ta < tb;
}

void SortByCreation(RsList* list) {
  std::stable_sort(list->begin(), list->end(),
                   [](const RsPtr& a, const RsPtr& b) { return RsOlder(*a, *b); });
}

void SortBySizeOlder(RsList* list) {
  std::stable_sort(list->begin(), list->end(), [](const RsPtr& a, const RsPtr& b) {
    if (Replicas(*a) == Replicas(*b)) return RsOlder(*a, *b);
    return Replicas(*a) > Replicas(*b);
  });
}

void SortBySizeNewer(RsList* list) {
  std::stable_sort(list->begin(), list->end(), [](const RsPtr& a, const RsPtr& b) {
    if (Replicas(*a) == Replicas(*b)) return RsOlder(*b, *a);
    return Replicas(*a) > Replicas(*b);
  });
}

void SortByRevision(RsList* list) {
  std::stable_sort(list->begin(), list->end(), [](const RsPtr& a, const RsPtr& b) {
    const int64_t ra = Revision(*a), rb = Revision(*b);
    if (ra == rb) return RsOlder(*a, *b);
    return ra < rb;
  });
}

int64_t Revision(const ReplicaSet& rs) {
  auto it = rs.metadata().annotations().find(kRevisionAnnotation);
  if (it == rs.metadata().annotations().end()) return 0;
  int64_t v = 0;
  if (!absl::SimpleAtoi(it->second, &v)) return 0;
  return v;
}

int64_t MaxRevision(const RsList& list) {
  int64_t max_revision = 0;
  for (const RsPtr& rs : list) {
    if (rs != nullptr) max_revision = std::max(max_revision, Revision(*rs));
  }
  return max_revision;
}

std::optional<int32_t> DesiredReplicasAnnotation(const ReplicaSet& rs) {
  return IntAnnotation(rs, kDesiredReplicasAnnotation);
}
std::optional<int32_t> MaxReplicasAnnotation(const ReplicaSet& rs) {
  return IntAnnotation(rs, kMaxReplicasAnnotation);
}

bool SetReplicasAnnotations(ReplicaSet* rs, int32_t desired, int32_t max_replicas) {
  auto* ann = rs->mutable_metadata()->mutable_annotations();
  bool changed = false;
  const std::string d = absl::StrCat(desired), m = absl::StrCat(max_replicas);
  if (auto it = ann->find(kDesiredReplicasAnnotation); it == ann->end() || it->second != d) {
    (*ann)[kDesiredReplicasAnnotation] = d;
    changed = true;
  }
  if (auto it = ann->find(kMaxReplicasAnnotation); it == ann->end() || it->second != m) {
    (*ann)[kMaxReplicasAnnotation] = m;
    changed = true;
  }
  return changed;
}

bool ReplicasAnnotationsNeedUpdate(const ReplicaSet& rs, int32_t desired, int32_t max_replicas) {
  ReplicaSet copy = rs;
  return SetReplicasAnnotations(&copy, desired, max_replicas);
}

bool SetNewReplicaSetAnnotations(const Deployment& d, ReplicaSet* rs,
                                 const std::string& new_revision, bool exists) {
  auto* ann = rs->mutable_metadata()->mutable_annotations();
  bool changed = false;
  for (const auto& [k, v] : d.metadata().annotations()) {
    if (api::IsRolloutBookkeepingAnnotation(k)) continue;
    if (auto it = ann->find(k); it != ann->end() && it->second == v) continue;
    (*ann)[k] = v;
    changed = true;
  }
  std::string old_revision;
  if (auto it = ann->find(kRevisionAnnotation); it != ann->end()) old_revision = it->second;
  int64_t old_value = 0;
  if (!old_revision.empty() && !absl::SimpleAtoi(old_revision, &old_value)) return changed;
  int64_t new_value = 0;
  if (!absl::SimpleAtoi(new_revision, &new_value)) return changed;
  if (old_value < new_value) {
    (*ann)[kRevisionAnnotation] = new_revision;
    changed = true;
    if (!old_revision.empty()) {
      std::string& history = (*ann)[kRevisionHistoryAnnotation];
      history = history.empty() ? old_revision : absl::StrCat(history, ",", old_revision);
    }
  }
  if (!exists) {
    if (SetReplicasAnnotations(rs, Replicas(d), MaxReplicas(d))) changed = true;
  }
  return changed;
}

bool SetDeploymentRevision(Deployment* d, const std::string& revision) {
  auto* ann = d->mutable_metadata()->mutable_annotations();
  if (auto it = ann->find(kRevisionAnnotation); it != ann->end() && it->second == revision) {
    return false;
  }
  (*ann)[kRevisionAnnotation] = revision;
  return true;
}

absl::StatusOr<Fenceposts> ResolveFenceposts(const minik8s::meta::v1::IntOrString* max_surge,
                                             const minik8s::meta::v1::IntOrString* max_unavailable,
                                             int32_t desired) {
  const minik8s::meta::v1::IntOrString zero;
  auto surge = api::GetScaledValueFromIntOrPercent(max_surge != nullptr ? max_surge : &zero,
                                                   desired, /*round_up=*/true);
  if (!surge.ok()) return surge.status();
  auto unavailable = api::GetScaledValueFromIntOrPercent(
      max_unavailable != nullptr ? max_unavailable : &zero, desired, /*round_up=*/false);
  if (!unavailable.ok()) return unavailable.status();
  Fenceposts f{*surge, *unavailable};
  if (f.max_surge == 0 && f.max_unavailable == 0) f.max_unavailable = 1;
  return f;
}

namespace {
absl::StatusOr<Fenceposts> DeploymentFenceposts(const Deployment& d) {
  const auto& ru = d.spec().strategy().rolling_update();
  const bool has_ru = d.spec().strategy().has_rolling_update();
  return ResolveFenceposts(has_ru && ru.has_max_surge() ? &ru.max_surge() : nullptr,
                           has_ru && ru.has_max_unavailable() ? &ru.max_unavailable() : nullptr,
                           Replicas(d));
}
}  // namespace

int32_t MaxSurge(const Deployment& d) {
  if (!IsRollingUpdate(d)) return 0;
  auto f = DeploymentFenceposts(d);
  return f.ok() ? f->max_surge : 0;
}

int32_t MaxReplicas(const Deployment& d) {
  return ClampReplicas(int64_t{Replicas(d)} + MaxSurge(d));
}

int32_t MaxUnavailable(const Deployment& d) {
  if (!IsRollingUpdate(d) || Replicas(d) == 0) return 0;
  auto f = DeploymentFenceposts(d);
  if (!f.ok()) return 0;
  return std::min(f->max_unavailable, Replicas(d));
}

absl::StatusOr<int32_t> NewRSNewReplicas(const Deployment& d, const RsList& all_rss,
                                         const ReplicaSet& new_rs) {
  if (!IsRollingUpdate(d)) return Replicas(d);
  auto f = DeploymentFenceposts(d);
  if (!f.ok()) return f.status();
  // In int64: replicas + maxSurge overflows int32 for replicas near
  // INT32_MAX (upstream's int32 sum wraps negative and never scales up).
  const int64_t current = GetReplicaCountForReplicaSets(all_rss);
  const int64_t max_total = int64_t{Replicas(d)} + f->max_surge;
  if (current >= max_total) return Replicas(new_rs);
  const int64_t scale_up =
      std::min(max_total - current, int64_t{Replicas(d)} - int64_t{Replicas(new_rs)});
  return ClampReplicas(int64_t{Replicas(new_rs)} + scale_up);
}

int64_t MaxScaledDown(const Deployment& d, const RsList& all_rss, const ReplicaSet* new_rs) {
  const int64_t all_pods = GetReplicaCountForReplicaSets(all_rss);
  const int64_t min_available = int64_t{Replicas(d)} - MaxUnavailable(d);
  const int64_t new_unavailable =
      new_rs == nullptr
          ? 0
          : int64_t{Replicas(*new_rs)} - int64_t{new_rs->status().available_replicas()};
  return all_pods - min_available - new_unavailable;
}

bool IsSaturated(const Deployment& d, const ReplicaSet* rs) {
  if (rs == nullptr) return false;
  auto desired = DesiredReplicasAnnotation(*rs);
  if (!desired.has_value()) return false;
  return Replicas(*rs) == Replicas(d) && *desired == Replicas(d) &&
         rs->status().available_replicas() == Replicas(d);
}

int32_t GetReplicaSetFraction(const ReplicaSet& rs, const Deployment& d) {
  if (Replicas(d) == 0) return -Replicas(rs);
  const int64_t deployment_replicas = int64_t{Replicas(d)} + MaxSurge(d);
  const int64_t annotated = MaxReplicasAnnotation(rs).value_or(d.status().replicas());
  if (annotated == 0) return 0;
  // In double, clamped to a replica count before the conversion: the
  // product of two replica counts overflows int32 (upstream multiplies in
  // int32), and the quotient may exceed INT32_MAX.
  const double new_size =
      std::round(static_cast<double>(Replicas(rs)) * static_cast<double>(deployment_replicas) /
                 static_cast<double>(annotated));
  const double clamped = std::clamp(new_size, 0.0, static_cast<double>(kMaxReplicas));
  return static_cast<int32_t>(clamped) - Replicas(rs);
}

int64_t GetProportion(const ReplicaSet* rs, const Deployment& d, int64_t to_add, int64_t added) {
  if (rs == nullptr || Replicas(*rs) == 0 || to_add == 0 || to_add == added) return 0;
  const int64_t fraction = GetReplicaSetFraction(*rs, d);
  const int64_t allowed = to_add - added;
  return to_add > 0 ? std::min(fraction, allowed) : std::max(fraction, allowed);
}

std::map<std::string, int32_t> ProportionalSizes(const Deployment& d, RsList* active) {
  std::map<std::string, int32_t> sizes;
  if (active->empty()) return sizes;
  const int64_t current = GetReplicaCountForReplicaSets(*active);
  const int64_t allowed = Replicas(d) > 0 ? int64_t{Replicas(d)} + MaxSurge(d) : 0;
  const int64_t to_add = allowed - current;
  if (to_add > 0) {
    SortBySizeNewer(active);
  } else if (to_add < 0) {
    SortBySizeOlder(active);
  }
  int64_t added = 0;
  for (const RsPtr& rs : *active) {
    if (to_add != 0) {
      const int64_t proportion = GetProportion(rs.get(), d, to_add, added);
      sizes[rs->metadata().name()] = ClampReplicas(int64_t{Replicas(*rs)} + proportion);
      added += proportion;
    } else {
      sizes[rs->metadata().name()] = Replicas(*rs);
    }
  }
  if (to_add != 0) {
    int32_t& first = sizes[active->front()->metadata().name()];
    first = ClampReplicas(int64_t{first} + (to_add - added));
  }
  return sizes;
}

DeploymentCondition NewCondition(const std::string& type, const std::string& status,
                                 const std::string& reason, const std::string& message,
                                 absl::Time now) {
  DeploymentCondition c;
  c.set_type(type);
  c.set_status(status);
  c.set_reason(reason);
  c.set_message(message);
  *c.mutable_last_update_time() = api::ToProtoTime(now);
  *c.mutable_last_transition_time() = api::ToProtoTime(now);
  return c;
}

const DeploymentCondition* GetCondition(const DeploymentStatus& status, const std::string& type) {
  for (const DeploymentCondition& c : status.conditions()) {
    if (c.type() == type) return &c;
  }
  return nullptr;
}

void SetCondition(DeploymentStatus* status, DeploymentCondition condition) {
  const DeploymentCondition* current = GetCondition(*status, condition.type());
  if (current != nullptr && current->status() == condition.status() &&
      current->reason() == condition.reason()) {
    return;
  }
  if (current != nullptr && current->status() == condition.status()) {
    *condition.mutable_last_transition_time() = current->last_transition_time();
  }
  RemoveCondition(status, condition.type());
  *status->add_conditions() = std::move(condition);
}

void RemoveCondition(DeploymentStatus* status, const std::string& type) {
  auto* conds = status->mutable_conditions();
  for (int i = conds->size() - 1; i >= 0; --i) {
    if (conds->Get(i).type() == type) conds->DeleteSubrange(i, 1);
  }
}

bool HasProgressDeadline(const Deployment& d) {
  return d.spec().has_progress_deadline_seconds() &&
         d.spec().progress_deadline_seconds() != INT32_MAX;
}

bool HasRevisionHistoryLimit(const Deployment& d) {
  return d.spec().has_revision_history_limit() && d.spec().revision_history_limit() != INT32_MAX;
}

bool DeploymentComplete(const Deployment& d, const DeploymentStatus& s) {
  return s.updated_replicas() == Replicas(d) && s.replicas() == Replicas(d) &&
         s.available_replicas() == Replicas(d) &&
         s.observed_generation() >= d.metadata().generation();
}

bool DeploymentProgressing(const Deployment& d, const DeploymentStatus& s) {
  const DeploymentStatus& old = d.status();
  const int64_t old_old_replicas = int64_t{old.replicas()} - old.updated_replicas();
  const int64_t new_old_replicas = int64_t{s.replicas()} - s.updated_replicas();
  return s.updated_replicas() > old.updated_replicas() || new_old_replicas < old_old_replicas ||
         s.ready_replicas() > old.ready_replicas() ||
         s.available_replicas() > old.available_replicas();
}

bool DeploymentTimedOut(const Deployment& d, const DeploymentStatus& s, absl::Time now) {
  if (!HasProgressDeadline(d)) return false;
  const DeploymentCondition* c = GetCondition(s, kConditionProgressing);
  if (c == nullptr) return false;
  if (c->reason() == kReasonNewReplicaSetAvailable) return false;
  if (c->reason() == kReasonProgressDeadlineExceeded) return true;
  const absl::Time from = TimeOrZero(c->last_update_time(), c->has_last_update_time());
  return from + absl::Seconds(d.spec().progress_deadline_seconds()) < now;
}

DeploymentStatus CalculateStatus(const RsList& all_rss, const ReplicaSet* new_rs,
                                 const Deployment& d, absl::Time now) {
  const int64_t available = GetAvailableReplicaCountForReplicaSets(all_rss);
  const int64_t total = GetReplicaCountForReplicaSets(all_rss);
  DeploymentStatus s;
  s.set_observed_generation(d.metadata().generation());
  s.set_replicas(ClampReplicas(GetActualReplicaCountForReplicaSets(all_rss)));
  s.set_updated_replicas(new_rs != nullptr ? new_rs->status().replicas() : 0);
  s.set_ready_replicas(ClampReplicas(GetReadyReplicaCountForReplicaSets(all_rss)));
  s.set_available_replicas(ClampReplicas(available));
  s.set_unavailable_replicas(ClampReplicas(total - available));
  if (d.status().has_collision_count()) s.set_collision_count(d.status().collision_count());
  *s.mutable_conditions() = d.status().conditions();
  if (available >= int64_t{Replicas(d)} - MaxUnavailable(d)) {
    SetCondition(&s, NewCondition(kConditionAvailable, "True", kReasonMinimumReplicasAvailable,
                                  "Deployment has minimum availability.", now));
  } else {
    SetCondition(&s, NewCondition(kConditionAvailable, "False", kReasonMinimumReplicasUnavailable,
                                  "Deployment does not have minimum availability.", now));
  }
  return s;
}

bool StatusEqual(const DeploymentStatus& a, const DeploymentStatus& b) {
  return common::ProtoEqual(a, b);
}

}  // namespace minik8s::controllers::deployment
