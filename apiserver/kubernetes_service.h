// The `kubernetes` Service in namespace `default`, as kube-apiserver keeps
// it (pkg/controlplane/controller/kubernetesservice): ClusterIP the first
// address of --service-cluster-ip-range (10.96.0.1), port 443 named https
// with targetPort the apiserver's port, labels component=apiserver and
// provider=kubernetes, no selector; its Endpoints and EndpointSlice (both
// named `kubernetes`) point at the apiserver's address and port.
//
// The Service goes through the handler like any create (validation, the
// allocators); the Endpoints and the EndpointSlice are written to the store
// directly, as Kubernetes' endpoint reconciler does, because the address is
// usually a loopback one (127.0.0.1), which Endpoints validation refuses
// from clients.
//
// Thread safety: call from one thread at a time (the server's maintenance
// thread).
#ifndef MINIK8S_APISERVER_KUBERNETES_SERVICE_H_
#define MINIK8S_APISERVER_KUBERNETES_SERVICE_H_

#include <string>

#include "absl/status/status.h"
#include "apiserver/handler.h"

namespace minik8s::apiserver {

inline constexpr char kKubernetesServiceName[] = "kubernetes";

// Creates what is missing and corrects what differs. `address:port` is where
// the apiserver serves.
absl::Status EnsureKubernetesService(Handler* handler, const std::string& cluster_ip,
                                     const std::string& address, int port);

}  // namespace minik8s::apiserver

#endif  // MINIK8S_APISERVER_KUBERNETES_SERVICE_H_
