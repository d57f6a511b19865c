// UnimplementedRuntime: a RuntimeClient whose every call fails with
// Unimplemented, for kubelet unit tests that override only the calls the
// component under test makes (an unexpected call shows up as an error).
#ifndef MINIK8S_TESTS_KUBELET_UNIMPLEMENTED_RUNTIME_H_
#define MINIK8S_TESTS_KUBELET_UNIMPLEMENTED_RUNTIME_H_

#include <functional>

#include "absl/status/status.h"
#include "runtime/runtime_client.h"

namespace minik8s::kubelet {

namespace cri = ::minik8s::cri::v1;

class UnimplementedRuntime : public runtime::RuntimeClient {
 public:
#define MINIK8S_UNIMPLEMENTED(Resp, Method, ReqT)               \
  absl::StatusOr<cri::Resp> Method(const cri::ReqT&) override { \
    return absl::UnimplementedError(#Method);                   \
  }
  MINIK8S_UNIMPLEMENTED(VersionResponse, Version, VersionRequest)
  MINIK8S_UNIMPLEMENTED(StatusResponse, Status, StatusRequest)
  MINIK8S_UNIMPLEMENTED(RunPodSandboxResponse, RunPodSandbox, RunPodSandboxRequest)
  MINIK8S_UNIMPLEMENTED(StopPodSandboxResponse, StopPodSandbox, StopPodSandboxRequest)
  MINIK8S_UNIMPLEMENTED(RemovePodSandboxResponse, RemovePodSandbox, RemovePodSandboxRequest)
  MINIK8S_UNIMPLEMENTED(PodSandboxStatusResponse, PodSandboxStatus, PodSandboxStatusRequest)
  MINIK8S_UNIMPLEMENTED(ListPodSandboxResponse, ListPodSandbox, ListPodSandboxRequest)
  MINIK8S_UNIMPLEMENTED(CreateContainerResponse, CreateContainer, CreateContainerRequest)
  MINIK8S_UNIMPLEMENTED(StartContainerResponse, StartContainer, StartContainerRequest)
  MINIK8S_UNIMPLEMENTED(StopContainerResponse, StopContainer, StopContainerRequest)
  MINIK8S_UNIMPLEMENTED(RemoveContainerResponse, RemoveContainer, RemoveContainerRequest)
  MINIK8S_UNIMPLEMENTED(ListContainersResponse, ListContainers, ListContainersRequest)
  MINIK8S_UNIMPLEMENTED(ContainerStatusResponse, ContainerStatus, ContainerStatusRequest)
  MINIK8S_UNIMPLEMENTED(ExecSyncResponse, ExecSync, ExecSyncRequest)
  MINIK8S_UNIMPLEMENTED(ProbeResponse, Probe, ProbeRequest)
  MINIK8S_UNIMPLEMENTED(ListImagesResponse, ListImages, ListImagesRequest)
  MINIK8S_UNIMPLEMENTED(ImageStatusResponse, ImageStatus, ImageStatusRequest)
  MINIK8S_UNIMPLEMENTED(PullImageResponse, PullImage, PullImageRequest)
  MINIK8S_UNIMPLEMENTED(RemoveImageResponse, RemoveImage, RemoveImageRequest)
#undef MINIK8S_UNIMPLEMENTED
  absl::Status ReadLogs(const cri::ReadLogsRequest&,
                        const std::function<bool(const cri::LogEntry&)>&) override {
    return absl::UnimplementedError("ReadLogs");
  }
};

}  // namespace minik8s::kubelet

#endif  // MINIK8S_TESTS_KUBELET_UNIMPLEMENTED_RUNTIME_H_
