#include "runtime/grpc_runtime_client.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>

#include "common/grpc_status.h"
#include "cri/v1/api.grpc.pb.h"
#include "runtime/endpoint.h"

namespace minik8s::runtime {
namespace {

namespace cri = ::minik8s::cri::v1;

class GrpcRuntimeClient : public RuntimeClient {
 public:
  GrpcRuntimeClient(std::shared_ptr<grpc::Channel> channel, GrpcRuntimeClientOptions options)
      : runtime_(cri::RuntimeService::NewStub(channel)),
        images_(cri::ImageService::NewStub(channel)),
        options_(options) {}

#define MINIK8S_RUNTIME_RPC(stub, Name, timeout)                                                \
  absl::StatusOr<cri::Name##Response> Name(const cri::Name##Request& req) override {            \
    return Call<cri::Name##Response>(timeout,                                                   \
                                     [&](grpc::ClientContext* ctx, cri::Name##Response* resp) { \
                                       return stub->Name(ctx, req, resp);                       \
                                     });                                                        \
  }

  MINIK8S_RUNTIME_RPC(runtime_, Version, options_.timeout)
  MINIK8S_RUNTIME_RPC(runtime_, Status, options_.timeout)
  MINIK8S_RUNTIME_RPC(runtime_, RunPodSandbox, options_.timeout)
  MINIK8S_RUNTIME_RPC(runtime_, StopPodSandbox, options_.timeout)
  MINIK8S_RUNTIME_RPC(runtime_, RemovePodSandbox, options_.timeout)
  MINIK8S_RUNTIME_RPC(runtime_, PodSandboxStatus, options_.timeout)
  MINIK8S_RUNTIME_RPC(runtime_, ListPodSandbox, options_.timeout)
  MINIK8S_RUNTIME_RPC(runtime_, CreateContainer, options_.timeout)
  MINIK8S_RUNTIME_RPC(runtime_, StartContainer, options_.long_timeout)
  MINIK8S_RUNTIME_RPC(runtime_, StopContainer,
                      options_.timeout + absl::Seconds(std::max<int64_t>(0, req.timeout())))
  MINIK8S_RUNTIME_RPC(runtime_, RemoveContainer, options_.timeout)
  MINIK8S_RUNTIME_RPC(runtime_, ListContainers, options_.timeout)
  MINIK8S_RUNTIME_RPC(runtime_, ContainerStatus, options_.timeout)
  MINIK8S_RUNTIME_RPC(runtime_, ExecSync,
                      options_.timeout + absl::Seconds(std::max<int64_t>(0, req.timeout())))
  MINIK8S_RUNTIME_RPC(runtime_, Probe, options_.timeout)
  MINIK8S_RUNTIME_RPC(images_, ListImages, options_.timeout)
  MINIK8S_RUNTIME_RPC(images_, ImageStatus, options_.timeout)
  MINIK8S_RUNTIME_RPC(images_, PullImage, options_.long_timeout)
  MINIK8S_RUNTIME_RPC(images_, RemoveImage, options_.timeout)
#undef MINIK8S_RUNTIME_RPC

  absl::Status ReadLogs(const cri::ReadLogsRequest& req,
                        const std::function<bool(const cri::LogEntry&)>& on_entry) override {
    grpc::ClientContext ctx;
    if (!req.follow()) ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
    std::unique_ptr<grpc::ClientReader<cri::ReadLogsResponse>> reader =
        runtime_->ReadLogs(&ctx, req);
    cri::ReadLogsResponse batch;
    bool stopped = false;
    while (!stopped && reader->Read(&batch)) {
      for (const auto& e : batch.entries()) {
        if (!on_entry(e)) {
          stopped = true;
          break;
        }
      }
    }
    if (stopped) {
      ctx.TryCancel();
      reader->Finish();
      return absl::OkStatus();
    }
    return FromGrpcStatus(reader->Finish());
  }

 private:
  template <typename Resp, typename Fn>
  absl::StatusOr<Resp> Call(absl::Duration timeout, Fn fn) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    Resp resp;
    grpc::Status s = fn(&ctx, &resp);
    if (!s.ok()) return FromGrpcStatus(s);
    return resp;
  }

  std::unique_ptr<cri::RuntimeService::Stub> runtime_;
  std::unique_ptr<cri::ImageService::Stub> images_;
  const GrpcRuntimeClientOptions options_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RuntimeClient>> NewGrpcRuntimeClient(
    const std::string& endpoint, GrpcRuntimeClientOptions options) {
  absl::StatusOr<std::string> address = RuntimeEndpointToGrpcAddress(endpoint);
  if (!address.ok()) return address.status();
  grpc::ChannelArguments args;
  const int max_ms = static_cast<int>(
      std::max<int64_t>(100, absl::ToInt64Milliseconds(options.max_reconnect_backoff)));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::min(100, max_ms));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, max_ms);
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: it is also the shortest time a
  // connection attempt is given, and a runtime starting up on a loaded
  // machine needs longer than that to send its first frame.
  return NewGrpcRuntimeClient(
      grpc::CreateCustomChannel(*address, grpc::InsecureChannelCredentials(), args), options);
}

std::unique_ptr<RuntimeClient> NewGrpcRuntimeClient(std::shared_ptr<grpc::Channel> channel,
                                                    GrpcRuntimeClientOptions options) {
  return std::make_unique<GrpcRuntimeClient>(std::move(channel), options);
}

}  // namespace minik8s::runtime
