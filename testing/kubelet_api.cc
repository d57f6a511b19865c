#include "testing/kubelet_api.h"

#include <chrono>
#include <memory>

#include "kubelet/v1/kubelet.grpc.pb.h"

namespace minik8s::testing {

grpc::Status ReadKubeletLogs(const std::string& address, const KubeletLogsCall& call) {
  auto credentials = MakeChannelCredentialsOrPlaintext(call.tls);
  if (!credentials.ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, std::string(credentials.status().message()));
  }
  auto stub = kubelet::v1::Kubelet::NewStub(grpc::CreateChannel(address, *credentials));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!call.authorization.empty()) context.AddMetadata("authorization", call.authorization);
  kubelet::v1::ContainerLogsRequest request;
  request.set_namespace_(call.ns);
  request.set_pod(call.pod);
  request.set_container(call.container);
  auto reader = stub->ContainerLogs(&context, request);
  kubelet::v1::ContainerLogsResponse response;
  while (reader->Read(&response)) {
  }
  return reader->Finish();
}

}  // namespace minik8s::testing
