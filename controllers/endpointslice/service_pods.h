// Which pods back a Service and where: the rules the EndpointSlice and
// Endpoints controllers share (Kubernetes pkg/controller/util/endpoint and
// pkg/api/v1/pod FindPort).
//
// Thread safety: all functions are pure.
#ifndef MINIK8S_CONTROLLERS_ENDPOINTSLICE_SERVICE_PODS_H_
#define MINIK8S_CONTROLLERS_ENDPOINTSLICE_SERVICE_PODS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/lister.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

using ServicePtr = std::shared_ptr<const minik8s::core::v1::Service>;

// The labels every controller-managed EndpointSlice carries.
inline constexpr char kLabelServiceName[] = "kubernetes.io/service-name";
inline constexpr char kLabelManagedBy[] = "endpointslice.kubernetes.io/managed-by";
inline constexpr char kManagedByController[] = "endpointslice-controller.k8s.io";
// Set (empty value) on the endpoints of a headless Service.
inline constexpr char kLabelHeadless[] = "service.kubernetes.io/headless";

// True when the endpoint controllers manage this Service's endpoints: it
// has a selector and is not of type ExternalName. Selector-less Services
// keep the EndpointSlices and Endpoints their users write.
bool ManagesEndpoints(const minik8s::core::v1::Service& service);

bool IsHeadless(const minik8s::core::v1::Service& service);

// A pod is an endpoint once it has an IP and until it reaches a terminal
// phase (Succeeded/Failed); a terminating pod (deletionTimestamp set) only
// when `include_terminating`.
bool ShouldPodBeInEndpoints(const minik8s::core::v1::Pod& pod, bool include_terminating);

// The pod's port a Service port sends to: a numeric targetPort as is (an
// unset one means `port`); a named one is the containerPort with that name
// and the Service port's protocol. NotFound when no container declares it.
absl::StatusOr<int32_t> FindPort(const minik8s::core::v1::Pod& pod,
                                 const minik8s::core::v1::ServicePort& port);

// The pod's hostname in the Service's DNS records: spec.hostname when the
// pod's subdomain names the Service (same namespace); "" otherwise.
std::string EndpointHostname(const minik8s::core::v1::Pod& pod,
                             const minik8s::core::v1::Service& service);

// The Services of the pod's namespace whose selector matches the pod's
// labels (only those whose endpoints are managed).
std::vector<ServicePtr> ServicesSelectingPod(
    const client::Lister<minik8s::core::v1::Service>& lister, const minik8s::core::v1::Pod& pod);

// True when a pod change can change any Service's endpoints: labels, IP,
// readiness, deletion, phase, node, hostname/subdomain or declared ports.
bool PodEndpointFieldsChanged(const minik8s::core::v1::Pod& old_pod,
                              const minik8s::core::v1::Pod& cur);

// ServicePort.protocol with the default applied ("TCP").
std::string ProtocolOf(const std::string& protocol);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_ENDPOINTSLICE_SERVICE_PODS_H_
