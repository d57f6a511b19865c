// The gRPC face of a Runtime: RuntimeService and ImageService of
// proto/cri/v1/api.proto as callback-API services that forward to the core
// and convert absl::Status to grpc::Status. Calls that wait (PullImage,
// StartContainer, StopContainer) complete from the Runtime's `done`
// callback without holding a gRPC thread. ReadLogs with follow streams new
// lines as the core reports them.
//
// `runtime` is borrowed and must outlive the services and the server's
// shutdown (streams still open call back into it while they finish).
// Thread-safe.
#ifndef MINIK8S_RUNTIME_RUNTIME_SERVICE_H_
#define MINIK8S_RUNTIME_RUNTIME_SERVICE_H_

#include "cri/v1/api.grpc.pb.h"
#include "runtime/runtime.h"

namespace minik8s::runtime {

class RuntimeServiceImpl final : public cri::RuntimeService::CallbackService {
 public:
  explicit RuntimeServiceImpl(Runtime* runtime) : rt_(runtime) {}

  grpc::ServerUnaryReactor* Version(grpc::CallbackServerContext* ctx,
                                    const cri::VersionRequest* req,
                                    cri::VersionResponse* resp) override;
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx, const cri::StatusRequest* req,
                                   cri::StatusResponse* resp) override;
  grpc::ServerUnaryReactor* RunPodSandbox(grpc::CallbackServerContext* ctx,
                                          const cri::RunPodSandboxRequest* req,
                                          cri::RunPodSandboxResponse* resp) override;
  grpc::ServerUnaryReactor* StopPodSandbox(grpc::CallbackServerContext* ctx,
                                           const cri::StopPodSandboxRequest* req,
                                           cri::StopPodSandboxResponse* resp) override;
  grpc::ServerUnaryReactor* RemovePodSandbox(grpc::CallbackServerContext* ctx,
                                             const cri::RemovePodSandboxRequest* req,
                                             cri::RemovePodSandboxResponse* resp) override;
  grpc::ServerUnaryReactor* PodSandboxStatus(grpc::CallbackServerContext* ctx,
                                             const cri::PodSandboxStatusRequest* req,
                                             cri::PodSandboxStatusResponse* resp) override;
  grpc::ServerUnaryReactor* ListPodSandbox(grpc::CallbackServerContext* ctx,
                                           const cri::ListPodSandboxRequest* req,
                                           cri::ListPodSandboxResponse* resp) override;
  grpc::ServerUnaryReactor* CreateContainer(grpc::CallbackServerContext* ctx,
                                            const cri::CreateContainerRequest* req,
                                            cri::CreateContainerResponse* resp) override;
  grpc::ServerUnaryReactor* StartContainer(grpc::CallbackServerContext* ctx,
                                           const cri::StartContainerRequest* req,
                                           cri::StartContainerResponse* resp) override;
  grpc::ServerUnaryReactor* StopContainer(grpc::CallbackServerContext* ctx,
                                          const cri::StopContainerRequest* req,
                                          cri::StopContainerResponse* resp) override;
  grpc::ServerUnaryReactor* RemoveContainer(grpc::CallbackServerContext* ctx,
                                            const cri::RemoveContainerRequest* req,
                                            cri::RemoveContainerResponse* resp) override;
  grpc::ServerUnaryReactor* ListContainers(grpc::CallbackServerContext* ctx,
                                           const cri::ListContainersRequest* req,
                                           cri::ListContainersResponse* resp) override;
  grpc::ServerUnaryReactor* ContainerStatus(grpc::CallbackServerContext* ctx,
                                            const cri::ContainerStatusRequest* req,
                                            cri::ContainerStatusResponse* resp) override;
  grpc::ServerUnaryReactor* ExecSync(grpc::CallbackServerContext* ctx,
                                     const cri::ExecSyncRequest* req,
                                     cri::ExecSyncResponse* resp) override;
  grpc::ServerUnaryReactor* Probe(grpc::CallbackServerContext* ctx, const cri::ProbeRequest* req,
                                  cri::ProbeResponse* resp) override;
  grpc::ServerWriteReactor<cri::ReadLogsResponse>* ReadLogs(
      grpc::CallbackServerContext* ctx, const cri::ReadLogsRequest* req) override;

 private:
  Runtime* const rt_;
};

class ImageServiceImpl final : public cri::ImageService::CallbackService {
 public:
  explicit ImageServiceImpl(Runtime* runtime) : rt_(runtime) {}

  grpc::ServerUnaryReactor* ListImages(grpc::CallbackServerContext* ctx,
                                       const cri::ListImagesRequest* req,
                                       cri::ListImagesResponse* resp) override;
  grpc::ServerUnaryReactor* ImageStatus(grpc::CallbackServerContext* ctx,
                                        const cri::ImageStatusRequest* req,
                                        cri::ImageStatusResponse* resp) override;
  grpc::ServerUnaryReactor* PullImage(grpc::CallbackServerContext* ctx,
                                      const cri::PullImageRequest* req,
                                      cri::PullImageResponse* resp) override;
  grpc::ServerUnaryReactor* RemoveImage(grpc::CallbackServerContext* ctx,
                                        const cri::RemoveImageRequest* req,
                                        cri::RemoveImageResponse* resp) override;

 private:
  Runtime* const rt_;
};

}  // namespace minik8s::runtime

#endif  // MINIK8S_RUNTIME_RUNTIME_SERVICE_H_
