// RuntimeClient: how a kubelet talks to a container runtime — the CRI calls
// of proto/cri/v1/api.proto as a C++ interface returning absl::Status, with
// two implementations:
//   - NewGrpcRuntimeClient (grpc_runtime_client.h): over gRPC to a
//     minik8s-runtime daemon, normally on a unix socket;
//   - NewInProcessRuntimeClient (in_process_runtime_client.h): direct calls
//     into a Runtime in the same process (scale mode: many simulated nodes).
// Calls block until the runtime has done the work (a pull with a pull delay
// blocks for that delay; StopContainer for up to the grace period).
// Implementations are thread-safe.
#ifndef MINIK8S_RUNTIME_RUNTIME_CLIENT_H_
#define MINIK8S_RUNTIME_RUNTIME_CLIENT_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cri/v1/api.pb.h"

namespace minik8s::runtime {

namespace cri = ::minik8s::cri::v1;

// Key of StatusResponse.info holding the runtime instance's boot id: it
// changes when the runtime restarts (and has lost every sandbox and
// container), so a kubelet can tell a restart from a slow runtime.
inline constexpr char kBootIdInfoKey[] = "bootID";

// Key of PodSandboxConfig.annotations holding the pod IP the kubelet
// assigned (from its node's podCIDR). The runtime allocates no addresses: it
// records this one and reports it in PodSandboxStatus.network.ip while the
// sandbox is ready. A sandbox without it has no IP.
inline constexpr char kPodIpAnnotation[] = "minik8s.io/pod-ip";

class RuntimeClient {
 public:
  virtual ~RuntimeClient() = default;

  // ---- RuntimeService
  virtual absl::StatusOr<cri::VersionResponse> Version(const cri::VersionRequest& req) = 0;
  virtual absl::StatusOr<cri::StatusResponse> Status(const cri::StatusRequest& req) = 0;
  virtual absl::StatusOr<cri::RunPodSandboxResponse> RunPodSandbox(
      const cri::RunPodSandboxRequest& req) = 0;
  virtual absl::StatusOr<cri::StopPodSandboxResponse> StopPodSandbox(
      const cri::StopPodSandboxRequest& req) = 0;
  virtual absl::StatusOr<cri::RemovePodSandboxResponse> RemovePodSandbox(
      const cri::RemovePodSandboxRequest& req) = 0;
  virtual absl::StatusOr<cri::PodSandboxStatusResponse> PodSandboxStatus(
      const cri::PodSandboxStatusRequest& req) = 0;
  virtual absl::StatusOr<cri::ListPodSandboxResponse> ListPodSandbox(
      const cri::ListPodSandboxRequest& req) = 0;
  virtual absl::StatusOr<cri::CreateContainerResponse> CreateContainer(
      const cri::CreateContainerRequest& req) = 0;
  virtual absl::StatusOr<cri::StartContainerResponse> StartContainer(
      const cri::StartContainerRequest& req) = 0;
  virtual absl::StatusOr<cri::StopContainerResponse> StopContainer(
      const cri::StopContainerRequest& req) = 0;
  virtual absl::StatusOr<cri::RemoveContainerResponse> RemoveContainer(
      const cri::RemoveContainerRequest& req) = 0;
  virtual absl::StatusOr<cri::ListContainersResponse> ListContainers(
      const cri::ListContainersRequest& req) = 0;
  virtual absl::StatusOr<cri::ContainerStatusResponse> ContainerStatus(
      const cri::ContainerStatusRequest& req) = 0;
  virtual absl::StatusOr<cri::ExecSyncResponse> ExecSync(const cri::ExecSyncRequest& req) = 0;
  virtual absl::StatusOr<cri::ProbeResponse> Probe(const cri::ProbeRequest& req) = 0;

  // Calls `on_entry` for each log entry, in order. Without req.follow it
  // returns after the current log. With follow it returns once the container
  // has exited (or been removed) and its last line was delivered, or as soon
  // as `on_entry` returns false. An unknown container is NotFound.
  virtual absl::Status ReadLogs(const cri::ReadLogsRequest& req,
                                const std::function<bool(const cri::LogEntry&)>& on_entry) = 0;

  // ---- ImageService
  virtual absl::StatusOr<cri::ListImagesResponse> ListImages(const cri::ListImagesRequest& req) = 0;
  virtual absl::StatusOr<cri::ImageStatusResponse> ImageStatus(
      const cri::ImageStatusRequest& req) = 0;
  virtual absl::StatusOr<cri::PullImageResponse> PullImage(const cri::PullImageRequest& req) = 0;
  virtual absl::StatusOr<cri::RemoveImageResponse> RemoveImage(
      const cri::RemoveImageRequest& req) = 0;
};

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_RUNTIME_CLIENT_H_
