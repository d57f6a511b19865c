// Calls on a kubelet's API (gRPC, kubelet/v1) for end-to-end tests: who may
// read a pod's logs is what the kubelet's authentication and authorization
// decide, so the tests need only the call's status.
#ifndef MINIK8S_TESTING_KUBELET_API_H_
#define MINIK8S_TESTING_KUBELET_API_H_

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>

#include "common/tls.h"

namespace minik8s::testing {

struct KubeletLogsCall {
  // How to dial: nullopt is plaintext; a TLS client without cert_file shows
  // no certificate.
  std::optional<TlsClientFiles> tls;
  std::string ns = "default";
  std::string pod;
  std::string container;      // "" = the pod's only container
  std::string authorization;  // sent as `authorization` metadata when not ""
};

// ContainerLogs from the kubelet API at `address` ("host:port"), read to the
// end, with a 10 s deadline: the call's final status. INTERNAL when the TLS
// files cannot be read.
grpc::Status ReadKubeletLogs(const std::string& address, const KubeletLogsCall& call);

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_KUBELET_API_H_
