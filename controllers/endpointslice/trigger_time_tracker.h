// TriggerTimeTracker: the time an EndpointSlice or Endpoints write reflects,
// stamped as the endpoints.kubernetes.io/last-change-trigger-time annotation
// (Kubernetes pkg/controller/util/endpoint, EndpointsLastChangeTriggerTime).
// kube-proxy measures network programming latency from it
// (kubeproxy_network_programming_duration_seconds, proxy/README.md).
//
// Per Service the tracker remembers, from the previous sync, the Service's
// trigger time (its creationTimestamp) and each selected pod's (the
// lastTransitionTime of its Ready condition). A sync returns:
//   - the Service's creationTimestamp the first time the Service is seen
//     (a new Service: its endpoints are new);
//   - else the earliest trigger time that moved forward since the previous
//     sync (a pod that became ready or unready, a recreated Service);
//   - else no time (InfinitePast): the write is not caused by a change the
//     tracker can date (a pod deleted, a label removed), and the annotation
//     is removed, as Kubernetes does.
// Like Kubernetes', the value is an approximation when one object changes
// twice between two syncs.
//
// Header-only. Thread safety: safe from any thread; calls for one Service
// must not run concurrently (the work queue gives one key to one worker at a
// time).
#ifndef MINIK8S_CONTROLLERS_ENDPOINTSLICE_TRIGGER_TIME_TRACKER_H_
#define MINIK8S_CONTROLLERS_ENDPOINTSLICE_TRIGGER_TIME_TRACKER_H_

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/time.h"
#include "controllers/util/pod_util.h"
#include "google/protobuf/map.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

inline constexpr char kAnnotationLastChangeTriggerTime[] =
    "endpoints.kubernetes.io/last-change-trigger-time";

class TriggerTimeTracker {
 public:
  // The time to stamp for this sync of `service` over `pods` (its selected
  // pods); InfinitePast() for none. Updates the remembered state.
  absl::Time Compute(const minik8s::core::v1::Service& service,
                     const std::vector<const minik8s::core::v1::Pod*>& pods);
  // Forgets a deleted Service.
  void DeleteService(const std::string& ns, const std::string& name);

 private:
  struct State {
    absl::Time service = absl::InfinitePast();
    absl::flat_hash_map<std::string, absl::Time> pods;  // by pod name
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, State> states_ ABSL_GUARDED_BY(mu_);  // "ns/name"
};

// Sets the annotation to `t` (RFC 3339, UTC, fractional seconds only when
// there are some, as Go's RFC3339Nano prints) or removes it when `t` is
// InfinitePast().
void SetTriggerTimeAnnotation(absl::Time t,
                              google::protobuf::Map<std::string, std::string>* annotations);

// Implementation (header-only).

inline absl::Time TriggerTimeTracker::Compute(
    const minik8s::core::v1::Service& service,
    const std::vector<const minik8s::core::v1::Pod*>& pods) {
  const std::string key =
      absl::StrCat(service.metadata().namespace_(), "/", service.metadata().name());
  State previous;
  bool known = false;
  {
    absl::MutexLock l(&mu_);
    auto it = states_.find(key);
    if (it != states_.end()) {
      previous = std::move(it->second);
      known = true;
    }
  }
  State next;
  absl::Time earliest = absl::InfiniteFuture();
  for (const minik8s::core::v1::Pod* pod : pods) {
    const auto* ready = GetPodReadyCondition(*pod);
    if (ready == nullptr || !ready->has_last_transition_time()) continue;
    const absl::Time t = api::FromProtoTime(ready->last_transition_time());
    next.pods[pod->metadata().name()] = t;
    auto was = previous.pods.find(pod->metadata().name());
    const absl::Time before = was == previous.pods.end() ? absl::InfinitePast() : was->second;
    if (t > before) earliest = std::min(earliest, t);
  }
  const absl::Time created = service.metadata().has_creation_timestamp()
                                 ? api::FromProtoTime(service.metadata().creation_timestamp())
                                 : absl::InfinitePast();
  next.service = created;
  if (created > previous.service) earliest = std::min(earliest, created);
  {
    absl::MutexLock l(&mu_);
    states_[key] = std::move(next);
  }
  if (!known) return created;
  return earliest == absl::InfiniteFuture() ? absl::InfinitePast() : earliest;
}

inline void TriggerTimeTracker::DeleteService(const std::string& ns, const std::string& name) {
  absl::MutexLock l(&mu_);
  states_.erase(absl::StrCat(ns, "/", name));
}

inline void SetTriggerTimeAnnotation(absl::Time t,
                                     google::protobuf::Map<std::string, std::string>* annotations) {
  if (t == absl::InfinitePast()) {
    annotations->erase(kAnnotationLastChangeTriggerTime);
    return;
  }
  (*annotations)[kAnnotationLastChangeTriggerTime] =
      absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_ENDPOINTSLICE_TRIGGER_TIME_TRACKER_H_
