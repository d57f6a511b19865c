// The pure parts of `rollout`: the status message of a deployment (kubectl's
// DeploymentStatusViewer), the revision history table, and the choice of
// the template `rollout undo` restores.
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_PRINTERS_ROLLOUT_H_
#define MINIK8S_KUBECTL_PRINTERS_ROLLOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/deployment_annotations.h"
#include "k8s/apps/v1/apps.pb.h"

namespace minik8s::kubectl {

using api::kChangeCauseAnnotation;
using api::kRevisionAnnotation;
inline constexpr char kRestartedAtAnnotation[] = "kubectl.kubernetes.io/restartedAt";

struct RolloutState {
  std::string message;  // ends with '\n'
  bool done = false;
};

// `revision` > 0 requires the deployment to be at that revision.
// FailedPrecondition `deployment "x" exceeded its progress deadline` when
// the Progressing condition says ProgressDeadlineExceeded.
absl::StatusOr<RolloutState> DeploymentRolloutStatus(const apps::v1::Deployment& d,
                                                     int64_t revision = 0);

// The revision of an object from its deployment.kubernetes.io/revision
// annotation (0 when absent or malformed).
int64_t RevisionOf(const minik8s::meta::v1::ObjectMeta& meta);

// `REVISION  CHANGE-CAUSE` table of the replica sets' revisions, ascending.
std::string RolloutHistoryTable(const std::vector<const apps::v1::ReplicaSet*>& sets);

// The replica set `rollout undo --to-revision=to_revision` restores
// (to_revision 0: the latest revision before the current one).
// NotFound `unable to find specified revision N in history` /
// `no rollout history found for deployment "x"`.
absl::StatusOr<const apps::v1::ReplicaSet*> RollbackTarget(
    const apps::v1::Deployment& d, const std::vector<const apps::v1::ReplicaSet*>& sets,
    int64_t to_revision);

// The pod template of `rs` without its pod-template-hash label (what
// `rollout undo` writes back into the deployment).
core::v1::PodTemplateSpec TemplateWithoutHash(const apps::v1::ReplicaSet& rs);

// The annotations `rollout undo` gives the deployment `d` when it restores
// `rs`, as kubectl's rollback does: the deployment keeps its own rollout
// bookkeeping annotations (revision, last-applied configuration, ...) and
// takes every other annotation from the replica set (such as
// kubernetes.io/change-cause); annotations of the deployment that the
// replica set lacks are dropped.
google::protobuf::Map<std::string, std::string> RollbackAnnotations(const apps::v1::Deployment& d,
                                                                    const apps::v1::ReplicaSet& rs);

// Whether two pod templates are equal field by field (maps compared as maps,
// whatever their order), ignoring the pod-template-hash label of either, as
// kubectl's rollback does before it skips an undo.
bool EqualIgnoreHash(const core::v1::PodTemplateSpec& a, const core::v1::PodTemplateSpec& b);

// The pod template `rollout history --revision` shows for `rs`: as stored,
// pod-template-hash label included, with the replica set's
// kubernetes.io/change-cause annotation (when set) among its annotations.
core::v1::PodTemplateSpec HistoryTemplate(const apps::v1::ReplicaSet& rs);

// The whole output of `rollout history deployment/NAME --revision=N` for the
// replica set of that revision: `deployment.apps/NAME with revision #N`,
// then its `Pod Template:` section and an empty line.
std::string RolloutRevisionText(const std::string& deployment_name, int64_t revision,
                                const apps::v1::ReplicaSet& rs);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_PRINTERS_ROLLOUT_H_
