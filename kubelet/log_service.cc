#include "kubelet/log_service.h"

#include <grpcpp/server_builder.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/time.h"
#include "common/grpc_status.h"
#include "kubelet/pod_worker.h"
#include "kubelet/port_forward.h"
#include "pki/certificate.h"

namespace minik8s::kubelet {

namespace cri = ::minik8s::cri::v1;
namespace kv1 = ::minik8s::kubelet::v1;

absl::StatusOr<std::string> LogReader::FindContainer(const kv1::ContainerLogsRequest& req) {
  cri::ListContainersRequest list;
  auto& sel = *list.mutable_filter()->mutable_label_selector();
  sel[kLabelPodNamespace] = req.namespace_();
  sel[kLabelPodName] = req.pod();
  auto resp = runtime_->ListContainers(list);
  if (!resp.ok()) return resp.status();
  // container name -> attempt -> id
  std::map<std::string, std::map<uint32_t, std::string>> by_name;
  std::set<std::string> regular;
  for (const cri::Container& c : resp->containers()) {
    auto name = c.labels().find(kLabelContainerName);
    if (name == c.labels().end()) continue;
    by_name[name->second][c.metadata().attempt()] = c.id();
    if (!c.labels().contains(kLabelInitContainer)) regular.insert(name->second);
  }
  if (by_name.empty()) {
    return absl::NotFoundError(absl::StrCat("pods \"", req.pod(), "\" not found"));
  }
  std::string container = req.container();
  if (container.empty()) {
    if (regular.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat("a container name must be specified for pod ",
                                                     req.pod(), ", choose one of: [",
                                                     absl::StrJoin(regular, " "), "]"));
    }
    container = *regular.begin();
  }
  auto it = by_name.find(container);
  if (it == by_name.end()) {
    return absl::NotFoundError(
        absl::StrCat("container \"", container, "\" in pod \"", req.pod(), "\" is not available"));
  }
  const auto& attempts = it->second;
  if (!req.previous()) return attempts.rbegin()->second;
  if (attempts.size() < 2) {
    return absl::NotFoundError(absl::StrCat("previous terminated container \"", container,
                                            "\" in pod \"", req.pod(), "\" not found"));
  }
  return std::next(attempts.rbegin())->second;
}

absl::Status LogReader::Read(const kv1::ContainerLogsRequest& req,
                             const std::function<bool(const kv1::LogLine&)>& sink) {
  auto id = FindContainer(req);
  if (!id.ok()) return id.status();
  cri::ReadLogsRequest r;
  r.set_container_id(*id);
  r.set_follow(req.follow() && !req.previous());
  if (req.has_tail_lines()) r.set_tail_lines(req.tail_lines());
  return runtime_->ReadLogs(r, [&](const cri::LogEntry& e) {
    kv1::LogLine line;
    line.set_timestamp(e.timestamp());
    line.set_stream(e.stream());
    if (req.timestamps()) {
      line.set_text(
          absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromUnixNanos(e.timestamp()),
                                        absl::UTCTimeZone()),
                       " ", e.text()));
    } else {
      line.set_text(e.text());
    }
    return sink(line);
  });
}

grpc::Status AuthorizeKubeletCaller(const grpc::ServerContext& context, bool verify_clients,
                                    const char* verb) {
  if (!verify_clients) return grpc::Status::OK;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  std::vector<grpc::string_ref> pems =
      auth != nullptr ? auth->FindPropertyValues("x509_pem_cert") : std::vector<grpc::string_ref>{};
  if (pems.empty()) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "Unauthorized");
  absl::StatusOr<pki::Certificate> cert =
      pki::Certificate::FromPem(absl::string_view(pems.front().data(), pems.front().size()));
  if (!cert.ok()) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "Unauthorized");
  for (const std::string& group : cert->Organizations()) {
    if (group == "system:masters") return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("Forbidden (user=", cert->CommonName(), ", verb=", verb,
                                   ", resource=nodes, subresource=proxy)"));
}

class KubeletServer::Service final : public kv1::Kubelet::Service {
 public:
  Service(runtime::RuntimeClient* runtime, bool verify_clients)
      : reader_(runtime), dialer_(runtime), verify_clients_(verify_clients) {}

  grpc::Status ContainerLogs(grpc::ServerContext* context, const kv1::ContainerLogsRequest* req,
                             grpc::ServerWriter<kv1::ContainerLogsResponse>* writer) override {
    if (grpc::Status a = AuthorizeKubeletCaller(*context, verify_clients_, "get"); !a.ok()) {
      return a;
    }
    absl::Status s = reader_.Read(*req, [&](const kv1::LogLine& line) {
      if (context->IsCancelled()) return false;
      kv1::ContainerLogsResponse resp;
      *resp.add_lines() = line;
      return writer->Write(resp);
    });
    return ToGrpcStatus(s);
  }

  grpc::Status PortForward(grpc::ServerContext* context,
                           grpc::ServerReaderWriter<kv1::PortForwardResponse,
                                                    kv1::PortForwardRequest>* stream) override {
    if (grpc::Status a = AuthorizeKubeletCaller(*context, verify_clients_, "create"); !a.ok()) {
      return a;
    }
    return ServePortForward(dialer_, context, stream);
  }

 private:
  LogReader reader_;
  PodDialer dialer_;
  const bool verify_clients_;
};

absl::StatusOr<std::unique_ptr<KubeletServer>> KubeletServer::Start(
    const std::string& address, runtime::RuntimeClient* runtime,
    const std::optional<TlsServerFiles>& tls) {
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (tls.has_value()) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> made = MakeServerCredentials(*tls);
    if (!made.ok()) return made.status();
    credentials = *std::move(made);
  }
  std::unique_ptr<KubeletServer> server(new KubeletServer());
  server->service_ = std::make_unique<Service>(runtime, tls.has_value() && tls->client_cert_auth);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  // gRPC sets SO_REUSEPORT by default: a busy port must be an error, not
  // a port shared with another kubelet.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot serve the kubelet API on ", address));
  }
  return server;
}

KubeletServer::~KubeletServer() { Shutdown(); }

void KubeletServer::Shutdown() {
  if (server_) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    server_.reset();
  }
}

}  // namespace minik8s::kubelet
