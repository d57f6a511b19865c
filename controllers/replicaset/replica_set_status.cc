#include "controllers/replicaset/replica_set_status.h"

#include "api/selector/labels.h"
#include "api/time.h"
#include "common/proto_equal.h"
#include "controllers/util/pod_util.h"

namespace minik8s::controllers {

using minik8s::apps::v1::ReplicaSet;
using minik8s::apps::v1::ReplicaSetStatus;

ReplicaSetStatus CalculateReplicaSetStatus(
    const ReplicaSet& rs, const std::vector<std::shared_ptr<const minik8s::core::v1::Pod>>& pods,
    const absl::Status& manage_error, int diff, absl::Time now) {
  ReplicaSetStatus status = rs.status();
  const api::LabelSelector template_labels =
      api::SelectorFromSet(rs.spec().template_().metadata().labels());
  int fully_labeled = 0, ready = 0, available = 0;
  for (const auto& pod : pods) {
    if (template_labels.Matches(pod->metadata().labels())) ++fully_labeled;
    if (IsPodReady(*pod)) {
      ++ready;
      if (IsPodAvailable(*pod, rs.spec().min_ready_seconds(), now)) ++available;
    }
  }
  int failure_index = -1;
  for (int i = 0; i < status.conditions_size(); ++i) {
    if (status.conditions(i).type() == "ReplicaFailure") failure_index = i;
  }
  if (!manage_error.ok() && failure_index < 0) {
    auto* c = status.add_conditions();
    c->set_type("ReplicaFailure");
    c->set_status("True");
    *c->mutable_last_transition_time() = api::ToProtoTime(now);
    c->set_reason(diff < 0 ? "FailedCreate" : "FailedDelete");
    c->set_message(std::string(manage_error.message()));
  } else if (manage_error.ok() && failure_index >= 0) {
    status.mutable_conditions()->DeleteSubrange(failure_index, 1);
  }
  status.set_replicas(static_cast<int32_t>(pods.size()));
  status.set_fully_labeled_replicas(fully_labeled);
  status.set_ready_replicas(ready);
  status.set_available_replicas(available);
  return status;
}

bool ReplicaSetStatusEqual(const ReplicaSetStatus& a, const ReplicaSetStatus& b) {
  return common::ProtoEqual(a, b);
}

}  // namespace minik8s::controllers
