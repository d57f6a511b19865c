// The checks Kubernetes makes before it streams a container's log, and how
// the kubelet serving that log is found. Shared by the apiserver's pods/log
// subresource (apiserver/rest/log_stream.h) and `mkctl logs`.
//
// In Kubernetes the apiserver checks the request (the container exists, the
// pod has a node) and proxies it to the kubelet of the pod's node, which
// checks the container's state from status.containerStatuses before it
// reads the runtime's log. CheckLogRequest applies both sets of checks to a
// Pod already read, so a client that reads the log from the kubelet itself
// fails the same way an apiserver would.
//
// Errors are built with client/errors.h (reason BadRequest, HTTP 400, code
// kInvalidArgument); a server turns them into its own API errors by code
// and message.
//
// Thread safety: pure functions.
#ifndef MINIK8S_CLIENT_POD_LOGS_H_
#define MINIK8S_CLIENT_POD_LOGS_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::client {

// The container a pods/log request reads, as kube-apiserver picks it:
// `container` when it names one of the pod's containers or init containers
// (else `container C is not valid for pod P`); when empty, the pod's only
// container, else BadRequest `a container name must be specified for pod P,
// choose one of: [a b]` (plus ` or one of the init containers: [i]` when the
// pod has some; without containers at all just the first clause).
absl::StatusOr<std::string> LogContainer(const core::v1::Pod& pod, const std::string& container);

// The checks before a log is streamed, with Kubernetes' messages (all
// BadRequest, which kubectl prints as `Error from server (BadRequest): ...`):
//   - the apiserver's: `container C is not valid for pod P`, `pod P does not
//     have a host assigned` (not scheduled yet);
//   - the kubelet's, from status.containerStatuses: `container "C" in pod "P"
//     is waiting to start: ContainerCreating` (or the waiting reason; image
//     pull failures in kubelet's words), `previous terminated container "C"
//     in pod "P" not found`, `container "C" in pod "P" is terminated` (no
//     instance to read), `container "C" in pod "P" is not available` (no
//     status yet).
// `container` must be named (see LogContainer).
absl::Status CheckLogRequest(const core::v1::Pod& pod, const std::string& container, bool previous);

// The address of a Node's kubelet API, `HOST:PORT` (`[v6]:PORT`): the
// status.addresses InternalIP, else Hostname, and
// status.daemonEndpoints.kubeletEndpoint.port. FailedPrecondition when the
// Node publishes no port or no address.
absl::StatusOr<std::string> KubeletAddress(const core::v1::Node& node);

// A failed `minik8s.kubelet.v1.Kubelet/ContainerLogs` call as the apiserver
// relays it: the kubelet's refusals (NOT_FOUND, INVALID_ARGUMENT,
// FAILED_PRECONDITION) become BadRequest with the kubelet's message; its
// authorization refusal (PERMISSION_DENIED) Forbidden (403) with the
// kubelet's message followed by ` ( pods/log <pod>)`, as Kubernetes relays
// it, and UNAUTHENTICATED Unauthorized (401); an unreachable kubelet
// (UNAVAILABLE, DEADLINE_EXCEEDED) an InternalError naming the pod, node
// and address; anything else an InternalError with the kubelet's message.
absl::Status KubeletLogsError(const grpc::Status& status, absl::string_view pod,
                              absl::string_view node, absl::string_view address);

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_POD_LOGS_H_
