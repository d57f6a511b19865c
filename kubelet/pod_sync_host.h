// What the kubelet's pod-side components (PodSyncer, StatusManager,
// ProberManager, ImageManager) need from the kubelet around them, as small
// interfaces so each component states exactly what it uses and tests fake
// only that:
//   - PodEventRecorder: Events about a pod;
//   - RuntimeHealth: whether the container runtime answers, and when it
//     restarted;
//   - PodStatusWriter: the pods/status write to the apiserver, and the read
//     that confirms what the apiserver holds;
//   - PodSyncHost: all of them, plus pod IPs and the final pod delete.
// The Kubelet implements PodSyncHost. Implementations must be safe to call
// from several pod worker threads at once.
#ifndef MINIK8S_KUBELET_POD_SYNC_HOST_H_
#define MINIK8S_KUBELET_POD_SYNC_HOST_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubelet {

class PodEventRecorder {
 public:
  virtual ~PodEventRecorder() = default;
  // Records an Event about `pod` (`container`: "" or the name of one of its
  // containers).
  virtual void Event(const minik8s::core::v1::Pod& pod, const std::string& container,
                     const std::string& type, const std::string& reason,
                     const std::string& message) = 0;
};

class RuntimeHealth {
 public:
  virtual ~RuntimeHealth() = default;
  // Whether the runtime answered its last check.
  virtual bool RuntimeReady() const = 0;
  // Bumped whenever the runtime is found restarted.
  virtual uint64_t RuntimeEpoch() = 0;
  // True (and the runtime is marked down) when `s` says the runtime is
  // unreachable: the caller stops and leaves its state as it was.
  virtual bool RuntimeUnreachable(const absl::Status& s) = 0;
};

class PodStatusWriter {
 public:
  virtual ~PodStatusWriter() = default;
  // Writes `pod`'s status to the apiserver (pods/status).
  virtual absl::Status UpdatePodStatus(const minik8s::core::v1::Pod& pod) = 0;
  // Reads the pod from the apiserver itself (not a cache): what it holds now.
  virtual absl::StatusOr<minik8s::core::v1::Pod> GetPod(const std::string& ns,
                                                        const std::string& name) = 0;
};

class PodSyncHost : public PodEventRecorder, public RuntimeHealth, public PodStatusWriter {
 public:
  // Pod IPs of `node`.
  virtual absl::StatusOr<std::string> AllocatePodIp(const std::string& node) = 0;
  virtual void ReleasePodIp(const std::string& node, const std::string& ip) = 0;
  // The node's InternalIP ("" when unknown).
  virtual std::string HostIp(const std::string& node) = 0;
  // The node's allocatable amount of `resource` ("cpu", "memory"), as its
  // Node reports it; "" when unknown.
  virtual std::string NodeAllocatable(const std::string& node, const std::string& resource) {
    return "";
  }
  // Deletes `pod` for good (grace period 0, precondition on its uid).
  virtual absl::Status DeletePod(const minik8s::core::v1::Pod& pod) = 0;
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_POD_SYNC_HOST_H_
