// The core/v1 Endpoints object a Service's pods make (Kubernetes
// pkg/controller/endpoint), kept beside the EndpointSlices for clients that
// still read Endpoints.
//
// One subset per set of resolved ports (the repacking Kubernetes does): a
// ready pod's address goes under `addresses`, an unready one under
// `notReadyAddresses`, or under `addresses` when the Service publishes not
// ready addresses. Terminating pods are left out unless the Service
// publishes not ready addresses. At most kMaxEndpointsAddresses addresses:
// beyond that the object is truncated and annotated
// `endpoints.kubernetes.io/over-capacity: truncated`, as in Kubernetes.
//
// Thread safety: all functions are pure.
#ifndef MINIK8S_CONTROLLERS_ENDPOINTSLICE_LEGACY_ENDPOINTS_H_
#define MINIK8S_CONTROLLERS_ENDPOINTSLICE_LEGACY_ENDPOINTS_H_

#include <vector>

#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

inline constexpr int kMaxEndpointsAddresses = 1000;
inline constexpr char kAnnotationOverCapacity[] = "endpoints.kubernetes.io/over-capacity";

// The Endpoints named after `service` (metadata: name, namespace, labels
// from the Service plus service.kubernetes.io/headless for a headless one;
// no resourceVersion).
minik8s::core::v1::Endpoints DesiredLegacyEndpoints(
    const minik8s::core::v1::Service& service,
    const std::vector<const minik8s::core::v1::Pod*>& pods);

// True when `current` already says what `desired` says (subsets, labels,
// the over-capacity annotation).
bool LegacyEndpointsEqual(const minik8s::core::v1::Endpoints& current,
                          const minik8s::core::v1::Endpoints& desired);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_ENDPOINTSLICE_LEGACY_ENDPOINTS_H_
