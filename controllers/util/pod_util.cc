#include "controllers/util/pod_util.h"

#include <algorithm>

#include "api/time.h"

namespace minik8s::controllers {

using minik8s::core::v1::Pod;
using minik8s::core::v1::PodCondition;

absl::Time TimeOrZero(const minik8s::meta::v1::Time& t, bool has) {
  if (!has || (t.seconds() == 0 && t.nanos() == 0)) return absl::InfinitePast();
  return api::FromProtoTime(t);
}

bool IsPodActive(const Pod& pod) {
  return pod.status().phase() != "Succeeded" && pod.status().phase() != "Failed" &&
         !pod.metadata().has_deletion_timestamp();
}

const PodCondition* GetPodReadyCondition(const Pod& pod) {
  for (const PodCondition& c : pod.status().conditions()) {
    if (c.type() == "Ready") return &c;
  }
  return nullptr;
}

bool IsPodReady(const Pod& pod) {
  const PodCondition* c = GetPodReadyCondition(pod);
  return c != nullptr && c->status() == "True";
}

bool IsPodAvailable(const Pod& pod, int32_t min_ready_seconds, absl::Time now) {
  const PodCondition* c = GetPodReadyCondition(pod);
  if (c == nullptr || c->status() != "True") return false;
  if (min_ready_seconds == 0) return true;
  absl::Time since = TimeOrZero(c->last_transition_time(), c->has_last_transition_time());
  return !IsZero(since) && since + absl::Seconds(min_ready_seconds) < now;
}

absl::Time PodReadyTime(const Pod& pod) {
  const PodCondition* c = GetPodReadyCondition(pod);
  if (c == nullptr || c->status() != "True") return absl::InfinitePast();
  return TimeOrZero(c->last_transition_time(), c->has_last_transition_time());
}

int32_t MaxContainerRestarts(const Pod& pod) {
  int32_t max_restarts = 0;
  for (const auto& cs : pod.status().container_statuses()) {
    max_restarts = std::max(max_restarts, cs.restart_count());
  }
  return max_restarts;
}

}  // namespace minik8s::controllers
