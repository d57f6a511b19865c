// Pods: status cleared to Pending on create (with the QoS class), status
// subresource, graceful deletion (a scheduled, non-terminal pod waits its
// grace period for the kubelet), generation on spec change; admission:
// service account, default tolerations and priority (admission.h).
#include "absl/strings/str_cat.h"
#include "k8s/core/v1/core.pb.h"
#include "kinds/strategy_entry.h"

namespace minik8s::apiserver {
namespace {

using core::v1::Pod;

constexpr int64_t kDefaultTerminationGracePeriodSeconds = 30;

// Kubernetes' QoS classes: BestEffort when no container sets requests or
// limits; Guaranteed when every container limits cpu and memory with
// requests equal to the limits; Burstable otherwise.
std::string QosClass(const Pod& pod) {
  bool any = false;
  bool guaranteed = true;
  auto check = [&](const core::v1::Container& c) {
    const auto& requests = c.resources().requests();
    const auto& limits = c.resources().limits();
    if (!requests.empty() || !limits.empty()) any = true;
    for (const char* resource : {"cpu", "memory"}) {
      auto limit = limits.find(resource);
      if (limit == limits.end()) {
        guaranteed = false;
        continue;
      }
      auto request = requests.find(resource);
      if (request != requests.end() && request->second.value() != limit->second.value()) {
        guaranteed = false;
      }
    }
  };
  for (const auto& c : pod.spec().containers()) check(c);
  for (const auto& c : pod.spec().init_containers()) check(c);
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

// The largest status the kubelet writes for a container (kubelet/pod_status.cc),
// in protobuf bytes beyond its name and image: a terminated state and a
// terminated last state (exit code, signal, reason, two timestamps and a
// containerd:// ID each), the container ID, an image ID (a repo digest, the
// image plus ~80 bytes), ready, started and the restart count, with field
// overhead.
constexpr int64_t kStatusBytesPerContainer = 512;
// Pod-level fields: phase, conditions, IPs, start time, QoS class, and the
// termination messages Kubernetes caps at 12 KiB a pod.
constexpr int64_t kStatusBytesPerPod = 16 * 1024;

// The Ready condition's message names a readiness gate that is not True in
// about this many bytes besides its condition type ("the status of pod
// readiness gate \"x\" is not \"True\", but Unknown, ").
constexpr int64_t kStatusBytesPerReadinessGate = 64;

// The worst-case size of the status of `pod`: per container the constant
// above plus its name three times (its status, and the Ready and
// ContainersReady condition messages that list unready containers) and its
// image twice (image and imageID); per readiness gate its part of the Ready
// message.
int64_t WorstCaseStatusBytes(const Pod& pod) {
  int64_t bytes = kStatusBytesPerPod;
  auto add = [&bytes](const core::v1::Container& c) {
    bytes += kStatusBytesPerContainer + 3 * static_cast<int64_t>(c.name().size()) +
             2 * static_cast<int64_t>(c.image().size());
  };
  for (const auto& c : pod.spec().init_containers()) add(c);
  for (const auto& c : pod.spec().containers()) add(c);
  for (const auto& gate : pod.spec().readiness_gates()) {
    bytes += kStatusBytesPerReadinessGate + static_cast<int64_t>(gate.condition_type().size());
  }
  return bytes;
}

class PodStrategy : public Strategy {
 public:
  explicit PodStrategy(const api::KindInfo* kind)
      : Strategy(kind, Traits{.status_subresource = true,
                              .clear_status_on_create = true,
                              .generation = true,
                              .graceful_deletion = true,
                              .binding_subresource = true,
                              .log_subresource = true,
                              .return_deleted_object = true,
                              .categories = {"all"}}) {}

  void PrepareForCreate(google::protobuf::Message* object) const override {
    Strategy::PrepareForCreate(object);
    auto* pod = static_cast<Pod*>(object);
    pod->mutable_status()->set_phase("Pending");
    pod->mutable_status()->set_qos_class(QosClass(*pod));
  }

  absl::Status Admit(google::protobuf::Message* object, const google::protobuf::Message* old,
                     const AdmissionOptions& options) const override {
    auto* pod = static_cast<Pod*>(object);
    if (old == nullptr) return AdmitPodCreate(kind(), pod, options);
    AdmitPodUpdate(pod, static_cast<const Pod&>(*old), options);
    return absl::OkStatus();
  }

  // The kubelet's status of every container must fit beside the spec: a
  // pod with thousands of containers is refused at creation instead of
  // staying Pending because no status update can be stored.
  StatusReserve ReserveForStatus(const google::protobuf::Message& object) const override {
    const auto& pod = static_cast<const Pod&>(object);
    const int containers = pod.spec().containers_size() + pod.spec().init_containers_size();
    return {WorstCaseStatusBytes(pod),
            absl::StrCat("with room for the status of its ", containers,
                         containers == 1 ? " container" : " containers")};
  }

  int64_t GracePeriod(const google::protobuf::Message& object, int64_t requested) const override {
    const auto& pod = static_cast<const Pod&>(object);
    // Nothing runs an unscheduled or finished pod: delete it at once.
    if (pod.spec().node_name().empty()) return 0;
    if (pod.status().phase() == "Succeeded" || pod.status().phase() == "Failed") return 0;
    if (requested >= 0) return requested;
    if (pod.spec().has_termination_grace_period_seconds()) {
      return pod.spec().termination_grace_period_seconds();
    }
    return kDefaultTerminationGracePeriodSeconds;
  }
};

}  // namespace

std::unique_ptr<Strategy> NewPodStrategy(const api::KindInfo* kind) {
  return std::make_unique<PodStrategy>(kind);
}

}  // namespace minik8s::apiserver
