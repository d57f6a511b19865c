// The EndpointSlice controller's pure half: from a Service and the pods
// that back it, the EndpointSlices it should have, and the fewest writes
// that turn the slices it has into those (Kubernetes
// pkg/controller/endpointslice/reconciler.go, simplified).
//
// Endpoints are grouped by the ports they resolve to (a named targetPort
// can differ between pods), one group per port set; a slice holds one
// group's endpoints, at most max_endpoints_per_slice. Reconcile keeps every
// endpoint that is still wanted in the slice it is in (so an update touches
// as few slices as possible), drops the stale ones, fills slices with room
// before creating new ones, and deletes the slices left empty. A Service
// with no endpoints keeps one empty placeholder slice, as Kubernetes does.
//
// Thread safety: all functions are pure.
#ifndef MINIK8S_CONTROLLERS_ENDPOINTSLICE_SLICE_RECONCILER_H_
#define MINIK8S_CONTROLLERS_ENDPOINTSLICE_SLICE_RECONCILER_H_

#include <map>
#include <string>
#include <vector>

#include "k8s/core/v1/core.pb.h"
#include "k8s/discovery/v1/discovery.pb.h"

namespace minik8s::controllers {

// One pod's endpoint and the ports it serves.
struct DesiredEndpoint {
  minik8s::discovery::v1::Endpoint endpoint;
  std::vector<minik8s::discovery::v1::EndpointPort> ports;
};

// The endpoints of `service`'s pods (those ShouldPodBeInEndpoints admits,
// terminating ones included). A pod with none of the Service's target
// ports is left out unless the Service has no ports (headless).
std::vector<DesiredEndpoint> DesiredEndpoints(
    const minik8s::core::v1::Service& service,
    const std::vector<const minik8s::core::v1::Pod*>& pods);

struct SliceChanges {
  std::vector<minik8s::discovery::v1::EndpointSlice> create;
  std::vector<minik8s::discovery::v1::EndpointSlice> update;
  std::vector<minik8s::discovery::v1::EndpointSlice> remove;  // by metadata name
  bool empty() const { return create.empty() && update.empty() && remove.empty(); }
};

// The writes that bring `existing` (this Service's controller-managed
// slices) to `desired`. New slices carry generateName "<service>-", the
// Service's labels plus the managed-by, service-name (and headless) labels,
// and a controller ownerReference to the Service.
SliceChanges ReconcileSlices(const minik8s::core::v1::Service& service,
                             const std::vector<DesiredEndpoint>& desired,
                             const std::vector<minik8s::discovery::v1::EndpointSlice>& existing,
                             int max_endpoints_per_slice);

// The labels a controller-managed slice of `service` carries.
std::map<std::string, std::string> SliceLabels(const minik8s::core::v1::Service& service);

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_ENDPOINTSLICE_SLICE_RECONCILER_H_
