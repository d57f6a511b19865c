// Defaulting and validation of the Service kinds, with Kubernetes' rules and
// messages: core/v1 Service and Endpoints (pkg/apis/core/validation
// ValidateService, ValidateEndpoints; pkg/apis/core/v1/defaults.go) and
// discovery.k8s.io/v1 EndpointSlice (pkg/apis/discovery/validation).
//
// What validation leaves to the apiserver's allocators
// (apiserver/registry/service_allocator.h): whether a clusterIP is inside
// --service-cluster-ip-range and free, whether a nodePort is inside
// --service-node-port-range and free.
//
// Thread safety: pure functions.
#ifndef MINIK8S_API_VALIDATION_VALIDATION_SERVICE_H_
#define MINIK8S_API_VALIDATION_VALIDATION_SERVICE_H_

#include "api/validation/field_error.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/discovery/v1/discovery.pb.h"

namespace minik8s::validation {

// type ClusterIP, sessionAffinity None (ClientIP: timeoutSeconds 10800),
// protocol TCP, targetPort = port, externalTrafficPolicy Cluster for
// NodePort/LoadBalancer (and ClusterIP with externalIPs),
// internalTrafficPolicy Cluster, allocateLoadBalancerNodePorts true for
// LoadBalancer.
void SetServiceDefaults(minik8s::core::v1::Service* service);
// Port protocol TCP.
void SetEndpointsDefaults(minik8s::core::v1::Endpoints* endpoints);
// Port name "" and protocol TCP.
void SetEndpointSliceDefaults(minik8s::discovery::v1::EndpointSlice* slice);

FieldErrors ValidateService(const minik8s::core::v1::Service& service);
FieldErrors ValidateServiceUpdate(const minik8s::core::v1::Service& service,
                                  const minik8s::core::v1::Service& old);
FieldErrors ValidateEndpoints(const minik8s::core::v1::Endpoints& endpoints);
FieldErrors ValidateEndpointsUpdate(const minik8s::core::v1::Endpoints& endpoints,
                                    const minik8s::core::v1::Endpoints& old);
FieldErrors ValidateEndpointSlice(const minik8s::discovery::v1::EndpointSlice& slice);
FieldErrors ValidateEndpointSliceUpdate(const minik8s::discovery::v1::EndpointSlice& slice,
                                        const minik8s::discovery::v1::EndpointSlice& old);

// Kubernetes' ValidateNonSpecialIP: the messages for an unspecified,
// loopback, link-local or link-local multicast IPv4 address; none otherwise.
std::vector<std::string> NonSpecialIpv4Errors(std::string_view ip);

// NonSpecialIpv4Errors' message for a 127.0.0.0/8 address (the detail of
// the field error): the apiserver's --allow-loopback-endpoints drops the
// Endpoints and EndpointSlice errors that carry it.
inline constexpr char kLoopbackRangeMsg[] =
    "may not be in the loopback range (127.0.0.0/8, ::1/128)";

}  // namespace minik8s::validation

#endif  // MINIK8S_API_VALIDATION_VALIDATION_SERVICE_H_
