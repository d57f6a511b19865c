#include "kubectl/logs/log_source.h"

#include <deque>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/errors.h"
#include "kubelet/v1/kubelet.grpc.pb.h"

namespace minik8s::kubectl {
namespace {

namespace kv1 = ::minik8s::kubelet::v1;

absl::Status BadRequest(const std::string& message) {
  return client::NewApiError(absl::StatusCode::kInvalidArgument, client::kReasonBadRequest, 400,
                             message);
}

const core::v1::ContainerStatus* FindStatus(const core::v1::Pod& pod, const std::string& name) {
  for (const auto* list : {&pod.status().container_statuses(),
                           &pod.status().init_container_statuses()}) {
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

class KubeletLogSource : public LogSource {
 public:
  explicit KubeletLogSource(client::ApiClient* api) : api_(api) {}

  absl::Status Stream(const LogRequest& request,
                      const std::function<bool(absl::string_view)>& sink) override {
    core::v1::Node node;
    absl::Status st = api_->Get("nodes", "", request.node, &node);
    if (!st.ok()) return st;
    absl::StatusOr<std::string> address = KubeletAddress(node);
    if (!address.ok()) return address.status();

    kv1::ContainerLogsRequest req;
    req.set_namespace_(request.namespace_);
    req.set_pod(request.pod);
    req.set_container(request.container);
    req.set_follow(request.follow);
    req.set_previous(request.previous);
    req.set_timestamps(request.timestamps);
    // With --since the tail is taken here, after the filter (unless
    // following, where the kubelet's tail is the only way to skip the past).
    const bool tail_here = request.since.has_value() && request.tail_lines.has_value() &&
                           !request.follow;
    if (request.tail_lines.has_value() && !tail_here) req.set_tail_lines(*request.tail_lines);
    const int64_t since_nanos =
        request.since.has_value() ? absl::ToUnixNanos(absl::Now() - *request.since) : 0;

    auto channel = grpc::CreateChannel(*address, grpc::InsecureChannelCredentials());
    auto stub = kv1::Kubelet::NewStub(channel);
    grpc::ClientContext context;
    if (!request.follow) context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(5)));
    std::unique_ptr<grpc::ClientReader<kv1::ContainerLogsResponse>> reader =
        stub->ContainerLogs(&context, req);
    std::deque<std::string> tail;
    kv1::ContainerLogsResponse resp;
    bool stopped = false;
    while (!stopped && reader->Read(&resp)) {
      for (const kv1::LogLine& line : resp.lines()) {
        if (line.timestamp() < since_nanos) continue;
        std::string text = absl::StrCat(line.text(), "\n");
        if (tail_here) {
          tail.push_back(std::move(text));
          if (static_cast<int64_t>(tail.size()) > *request.tail_lines) tail.pop_front();
        } else if (!sink(text)) {
          stopped = true;
          break;
        }
      }
    }
    if (stopped) context.TryCancel();
    grpc::Status finished = reader->Finish();
    if (!stopped && !finished.ok()) return KubeletError(finished, request, *address);
    for (const std::string& text : tail) {
      if (!sink(text)) break;
    }
    return absl::OkStatus();
  }

 private:
  // The kubelet's refusals read as the apiserver relays them (BadRequest);
  // an unreachable kubelet names the node and address.
  static absl::Status KubeletError(const grpc::Status& status, const LogRequest& request,
                                   const std::string& address) {
    switch (status.error_code()) {
      case grpc::StatusCode::NOT_FOUND:
      case grpc::StatusCode::INVALID_ARGUMENT:
      case grpc::StatusCode::FAILED_PRECONDITION:
        return BadRequest(status.error_message());
      case grpc::StatusCode::UNAVAILABLE:
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        return absl::InternalError(absl::StrCat("cannot read the logs of pod \"", request.pod,
                                                "\" from the kubelet of node ", request.node,
                                                " at ", address, ": ", status.error_message()));
      default:
        return absl::InternalError(status.error_message());
    }
  }

  client::ApiClient* const api_;
};

}  // namespace

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

std::unique_ptr<LogSource> NewKubeletLogSource(client::ApiClient* api) {
  return std::make_unique<KubeletLogSource>(api);
}

}  // namespace minik8s::kubectl
