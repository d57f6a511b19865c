#include "kubectl/logs/log_source.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <deque>

#include "absl/strings/str_cat.h"
#include "client/pod_logs.h"
#include "common/tls.h"
#include "kubelet/v1/kubelet.grpc.pb.h"

namespace minik8s::kubectl {
namespace {

namespace kv1 = ::minik8s::kubelet::v1;

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
    const bool tail_here =
        request.since.has_value() && request.tail_lines.has_value() && !request.follow;
    if (request.tail_lines.has_value() && !tail_here) req.set_tail_lines(*request.tail_lines);
    const int64_t since_nanos =
        request.since.has_value() ? absl::ToUnixNanos(absl::Now() - *request.since) : 0;

    // The kubelet API speaks TLS where the apiserver does (`minik8s up`):
    // the same CA and client certificate.
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        MakeChannelCredentialsOrPlaintext(api_->options().tls);
    if (!credentials.ok()) return credentials.status();
    auto channel = grpc::CreateChannel(*address, *credentials);
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
    if (!stopped && !finished.ok()) {
      return client::KubeletLogsError(finished, request.pod, request.node, *address);
    }
    for (const std::string& text : tail) {
      if (!sink(text)) break;
    }
    return absl::OkStatus();
  }

 private:
  client::ApiClient* const api_;
};

}  // namespace

std::unique_ptr<LogSource> NewKubeletLogSource(client::ApiClient* api) {
  return std::make_unique<KubeletLogSource>(api);
}

}  // namespace minik8s::kubectl
