// The pure arithmetic and bookkeeping of the Deployment controller
// (Kubernetes pkg/controller/deployment/util/deployment_util.go and
// pkg/util/hash): pod-template-hash, revisions and annotations, fence posts
// of a rolling update, proportional scaling, conditions and status.
//
// ReplicaSets are handled as RsPtr (shared, mutable copies owned by one
// sync): a write replaces the pointee with the server's answer.
//
// Thread safety: all functions are pure (the clock is passed in as `now`).
#ifndef MINIK8S_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_UTIL_H_
#define MINIK8S_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_UTIL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/deployment_annotations.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers::deployment {

using minik8s::apps::v1::Deployment;
using minik8s::apps::v1::DeploymentCondition;
using minik8s::apps::v1::DeploymentStatus;
using minik8s::apps::v1::ReplicaSet;
using minik8s::apps::v1::ReplicaSetCondition;
using RsPtr = std::shared_ptr<ReplicaSet>;
using RsList = std::vector<RsPtr>;

using api::kDesiredReplicasAnnotation;
using api::kLastAppliedAnnotation;
using api::kMaxReplicasAnnotation;
using api::kPodTemplateHashLabel;
using api::kRevisionAnnotation;
using api::kRevisionHistoryAnnotation;

inline constexpr char kConditionAvailable[] = "Available";
inline constexpr char kConditionProgressing[] = "Progressing";
inline constexpr char kConditionReplicaFailure[] = "ReplicaFailure";
inline constexpr char kReasonMinimumReplicasAvailable[] = "MinimumReplicasAvailable";
inline constexpr char kReasonMinimumReplicasUnavailable[] = "MinimumReplicasUnavailable";
inline constexpr char kReasonNewReplicaSetCreated[] = "NewReplicaSetCreated";
inline constexpr char kReasonFoundNewReplicaSet[] = "FoundNewReplicaSet";
inline constexpr char kReasonReplicaSetUpdated[] = "ReplicaSetUpdated";
inline constexpr char kReasonNewReplicaSetAvailable[] = "NewReplicaSetAvailable";
inline constexpr char kReasonProgressDeadlineExceeded[] = "ProgressDeadlineExceeded";
inline constexpr char kReasonReplicaSetCreateError[] = "ReplicaSetCreateError";
inline constexpr char kReasonDeploymentPaused[] = "DeploymentPaused";
inline constexpr char kReasonDeploymentResumed[] = "DeploymentResumed";

// spec.replicas with Kubernetes' default of 1 when unset.
int32_t Replicas(const Deployment& d);
int32_t Replicas(const ReplicaSet& rs);
bool IsRollingUpdate(const Deployment& d);  // strategy type RollingUpdate (or unset)

// ---- pod-template-hash
// Kubernetes' rand.SafeEncodeString: every character c → alphabet[c % 27]
// with the alphabet "bcdfghjklmnpqrstvwxz2456789" (no vowels, no 0/1/3).
std::string SafeEncodeString(const std::string& s);
// FNV-32a over the template's deterministic serialized form, then the
// collision count (4 little-endian bytes padded to 8) when set; the decimal
// value encoded with SafeEncodeString.
std::string ComputeHash(const minik8s::core::v1::PodTemplateSpec& tmpl,
                        std::optional<int32_t> collision_count);
// Templates equal once the pod-template-hash label is ignored.
bool EqualIgnoreHash(const minik8s::core::v1::PodTemplateSpec& a,
                     const minik8s::core::v1::PodTemplateSpec& b);

// ---- finding ReplicaSets
// The oldest ReplicaSet whose template equals the Deployment's (or null).
RsPtr FindNewReplicaSet(const Deployment& d, const RsList& rs_list);
// All ReplicaSets but the new one.
RsList FindOldReplicaSets(const Deployment& d, const RsList& rs_list);
RsList FilterActiveReplicaSets(const RsList& list);  // spec.replicas > 0
// The one active ReplicaSet, or (none active) the new or newest one; null
// when several are active.
RsPtr FindActiveOrLatest(const RsPtr& new_rs, RsList old_rss);
// Sums over ReplicaSets, in int64: several counts near INT32_MAX overflow
// int32 (replica_math.h).
int64_t GetReplicaCountForReplicaSets(const RsList& list);        // Σ spec.replicas
int64_t GetActualReplicaCountForReplicaSets(const RsList& list);  // Σ status.replicas
int64_t GetReadyReplicaCountForReplicaSets(const RsList& list);
int64_t GetAvailableReplicaCountForReplicaSets(const RsList& list);

// ---- orders
// Older first; equal times by name.
bool RsOlder(const ReplicaSet& a, const ReplicaSet& b);
void SortByCreation(RsList* list);
// Larger first; equal sizes older first (scaling down proportionally).
void SortBySizeOlder(RsList* list);
// Larger first; equal sizes newer first (scaling up proportionally).
void SortBySizeNewer(RsList* list);
// Lower revision first; equal revisions older first.
void SortByRevision(RsList* list);

// ---- revisions and annotations
int64_t Revision(const ReplicaSet& rs);  // 0 when absent or malformed
int64_t MaxRevision(const RsList& list);
// Sets desired-replicas and max-replicas; true when something changed.
bool SetReplicasAnnotations(ReplicaSet* rs, int32_t desired, int32_t max_replicas);
bool ReplicasAnnotationsNeedUpdate(const ReplicaSet& rs, int32_t desired, int32_t max_replicas);
// Copies the Deployment's annotations (except the controller's own and
// kubectl's last-applied) and raises the revision to `new_revision`
// (recording the old one in revision-history); on a new ReplicaSet
// (!exists) also sets the replicas annotations. True when changed.
bool SetNewReplicaSetAnnotations(const Deployment& d, ReplicaSet* rs,
                                 const std::string& new_revision, bool exists);
// Sets the Deployment's revision annotation; true when changed.
bool SetDeploymentRevision(Deployment* d, const std::string& revision);
std::optional<int32_t> DesiredReplicasAnnotation(const ReplicaSet& rs);
std::optional<int32_t> MaxReplicasAnnotation(const ReplicaSet& rs);

// ---- rolling update arithmetic
struct Fenceposts {
  int32_t max_surge = 0;
  int32_t max_unavailable = 0;
};
// maxSurge rounds up, maxUnavailable rounds down; both 0 → unavailable 1.
// An unset value counts as 0.
absl::StatusOr<Fenceposts> ResolveFenceposts(const minik8s::meta::v1::IntOrString* max_surge,
                                             const minik8s::meta::v1::IntOrString* max_unavailable,
                                             int32_t desired);
int32_t MaxSurge(const Deployment& d);        // 0 unless RollingUpdate
int32_t MaxUnavailable(const Deployment& d);  // 0 unless RollingUpdate, ≤ replicas
// replicas + maxSurge (the max-replicas annotation), summed in int64 and
// clamped to INT32_MAX.
int32_t MaxReplicas(const Deployment& d);
// The size the new ReplicaSet may grow to now: RollingUpdate →
// min(replicas + surge − all pods, replicas − new) added to new's size
// (unchanged when all pods ≥ replicas + surge); Recreate → replicas.
// Computed in int64, so replicas up to INT32_MAX with any maxSurge work.
absl::StatusOr<int32_t> NewRSNewReplicas(const Deployment& d, const RsList& all_rss,
                                         const ReplicaSet& new_rs);
// maxScaledDown of reconcileOldReplicaSets: all pods − (replicas −
// maxUnavailable) − unavailable pods of the new ReplicaSet.
int64_t MaxScaledDown(const Deployment& d, const RsList& all_rss, const ReplicaSet* new_rs);
// The new ReplicaSet is at full size and fully available.
bool IsSaturated(const Deployment& d, const ReplicaSet* rs);

// ---- proportional scaling (replicas changed in the middle of a rollout)
// The change of `rs`'s size that keeps its share of replicas + maxSurge;
// the new size is clamped into [0, INT32_MAX].
int32_t GetReplicaSetFraction(const ReplicaSet& rs, const Deployment& d);
int64_t GetProportion(const ReplicaSet* rs, const Deployment& d, int64_t to_add, int64_t added);
// New sizes (by ReplicaSet name) of the active ReplicaSets so that they sum
// to replicas + maxSurge, each taking its share; the rounding leftover goes
// to the first in the order (largest; newest first when growing, oldest
// first when shrinking). `active` is reordered. Empty when nothing changes.
std::map<std::string, int32_t> ProportionalSizes(const Deployment& d, RsList* active);

// ---- conditions and status
DeploymentCondition NewCondition(const std::string& type, const std::string& status,
                                 const std::string& reason, const std::string& message,
                                 absl::Time now);
const DeploymentCondition* GetCondition(const DeploymentStatus& status, const std::string& type);
// Keeps lastTransitionTime when the status does not change; no-op when
// status and reason are the same.
void SetCondition(DeploymentStatus* status, DeploymentCondition condition);
void RemoveCondition(DeploymentStatus* status, const std::string& type);
bool HasProgressDeadline(const Deployment& d);
bool HasRevisionHistoryLimit(const Deployment& d);
bool DeploymentComplete(const Deployment& d, const DeploymentStatus& status);
bool DeploymentProgressing(const Deployment& d, const DeploymentStatus& status);
bool DeploymentTimedOut(const Deployment& d, const DeploymentStatus& status, absl::Time now);
// Counts from the ReplicaSets, copies of the current conditions, and the
// Available condition.
DeploymentStatus CalculateStatus(const RsList& all_rss, const ReplicaSet* new_rs,
                                 const Deployment& d, absl::Time now);
bool StatusEqual(const DeploymentStatus& a, const DeploymentStatus& b);

}  // namespace minik8s::controllers::deployment

#endif  // MINIK8S_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_UTIL_H_
