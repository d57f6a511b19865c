#include "client/pod_logs.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/errors.h"

namespace minik8s::client {
namespace {

absl::Status BadRequest(absl::string_view message) {
  return api::NewApiError(absl::StatusCode::kInvalidArgument, api::kReasonBadRequest, 400, message);
}

const core::v1::ContainerStatus* FindStatus(const core::v1::Pod& pod, const std::string& name) {
  for (const auto* list :
       {&pod.status().container_statuses(), &pod.status().init_container_statuses()}) {
    for (const auto& cs : *list) {
      if (cs.name() == name) return &cs;
    }
  }
  return nullptr;
}

bool HasContainer(const core::v1::Pod& pod, const std::string& name) {
  for (const auto& c : pod.spec().containers()) {
    if (c.name() == name) return true;
  }
  for (const auto& c : pod.spec().init_containers()) {
    if (c.name() == name) return true;
  }
  return false;
}

template <typename Containers>
std::string Names(const Containers& containers) {
  std::vector<std::string> names;
  for (const auto& c : containers) names.push_back(c.name());
  return absl::StrJoin(names, " ");
}

}  // namespace

absl::StatusOr<std::string> LogContainer(const core::v1::Pod& pod, const std::string& container) {
  const std::string& name = pod.metadata().name();
  if (!container.empty()) {
    if (!HasContainer(pod, container)) {
      return BadRequest(absl::StrCat("container ", container, " is not valid for pod ", name));
    }
    return container;
  }
  switch (pod.spec().containers_size()) {
    case 1:
      return pod.spec().containers(0).name();
    case 0:
      return BadRequest(absl::StrCat("a container name must be specified for pod ", name));
    default: {
      std::string message = absl::StrCat("a container name must be specified for pod ", name,
                                         ", choose one of: [", Names(pod.spec().containers()), "]");
      if (pod.spec().init_containers_size() > 0) {
        absl::StrAppend(&message, " or one of the init containers: [",
                        Names(pod.spec().init_containers()), "]");
      }
      return BadRequest(message);
    }
  }
}

absl::Status CheckLogRequest(const core::v1::Pod& pod, const std::string& container,
                             bool previous) {
  const std::string& name = pod.metadata().name();
  if (!HasContainer(pod, container)) {
    return BadRequest(absl::StrCat("container ", container, " is not valid for pod ", name));
  }
  if (pod.spec().node_name().empty()) {
    return BadRequest(absl::StrCat("pod ", name, " does not have a host assigned"));
  }
  const std::string what = absl::StrCat("container \"", container, "\" in pod \"", name, "\"");
  const core::v1::ContainerStatus* cs = FindStatus(pod, container);
  if (cs == nullptr) return BadRequest(absl::StrCat(what, " is not available"));
  const auto& last = cs->last_state();
  const auto& state = cs->state();
  if (previous) {
    if (!last.has_terminated() || last.terminated().container_id().empty()) {
      return BadRequest(absl::StrCat("previous terminated ", what, " not found"));
    }
    return absl::OkStatus();
  }
  if (state.has_running()) return absl::OkStatus();
  if (state.has_terminated()) {
    if (!state.terminated().container_id().empty()) return absl::OkStatus();
    if (last.has_terminated() && !last.terminated().container_id().empty()) {
      return absl::OkStatus();
    }
    return BadRequest(absl::StrCat(what, " is terminated"));
  }
  if (last.has_terminated()) {
    if (last.terminated().container_id().empty()) {
      return BadRequest(absl::StrCat(what, " is terminated"));
    }
    return absl::OkStatus();
  }
  if (state.has_waiting()) {
    const std::string& reason = state.waiting().reason();
    if (reason == "ErrImagePull") {
      return BadRequest(absl::StrCat(what, " is waiting to start: image can't be pulled"));
    }
    if (reason == "ImagePullBackOff") {
      return BadRequest(
          absl::StrCat(what, " is waiting to start: trying and failing to pull image"));
    }
    return BadRequest(absl::StrCat(what, " is waiting to start: ", reason));
  }
  return BadRequest(absl::StrCat(what, " is waiting to start - no logs yet"));
}

absl::StatusOr<std::string> KubeletAddress(const core::v1::Node& node) {
  const int port = node.status().daemon_endpoints().kubelet_endpoint().port();
  if (port <= 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "node ", node.metadata().name(), " publishes no kubelet port (status.daemonEndpoints)"));
  }
  std::string host;
  for (const char* type : {"InternalIP", "Hostname"}) {
    for (const auto& a : node.status().addresses()) {
      if (host.empty() && a.type() == type && !a.address().empty()) host = a.address();
    }
  }
  if (host.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("node ", node.metadata().name(), " publishes no address (status.addresses)"));
  }
  if (absl::StrContains(host, ':')) host = absl::StrCat("[", host, "]");
  return absl::StrCat(host, ":", port);
}

absl::Status KubeletLogsError(const grpc::Status& status, absl::string_view pod,
                              absl::string_view node, absl::string_view address) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return BadRequest(status.error_message());
    // The kubelet refused the apiserver's kubelet client: Kubernetes'
    // NewGenericServerResponse keeps the kubelet's message and names the
    // resource (`Forbidden (user=...) ( pods/log web)`).
    case grpc::StatusCode::PERMISSION_DENIED:
      return api::NewApiError(absl::StatusCode::kPermissionDenied, api::kReasonForbidden, 403,
                              absl::StrCat(status.error_message(), " ( pods/log ", pod, ")"));
    case grpc::StatusCode::UNAUTHENTICATED:
      return api::NewApiError(
          absl::StatusCode::kUnauthenticated, "Unauthorized", 401,
          absl::StrCat("the server has asked for the client to provide credentials ( pods/log ",
                       pod, ")"));
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::InternalError(absl::StrCat("cannot read the logs of pod \"", pod,
                                              "\" from the kubelet of node ", node, " at ", address,
                                              ": ", status.error_message()));
    default:
      return absl::InternalError(status.error_message());
  }
}

}  // namespace minik8s::client
