#include "kubelet/log_service.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/time.h"
#include "common/grpc_status.h"
#include "kubelet/pod_worker.h"
#include "kubelet/port_forward.h"

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

namespace {

// With --authentication-token-webhook a caller may come with a bearer token
// instead of a certificate: the handshake asks for a certificate and
// verifies one that is sent against the client CA, but lets a caller
// without one in (the kubelet's tls.RequestClientCert); server_auth.h then
// wants its token.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> OptionalClientCertificateCredentials(
    const TlsServerFiles& tls) {
  absl::StatusOr<std::string> cert = ReadPemFile(tls.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPemFile(tls.key_file);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadPemFile(tls.trusted_ca_file);
  if (!ca.ok()) return ca.status();
  grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_key_cert_pairs.push_back({*key, *cert});
  options.pem_root_certs = *ca;
  return grpc::SslServerCredentials(options);
}

}  // namespace

class KubeletServer::Service final : public kv1::Kubelet::Service {
 public:
  Service(runtime::RuntimeClient* runtime, const KubeletAuth* auth)
      : reader_(runtime), dialer_(runtime), auth_(auth) {}

  grpc::Status ContainerLogs(grpc::ServerContext* context, const kv1::ContainerLogsRequest* req,
                             grpc::ServerWriter<kv1::ContainerLogsResponse>* writer) override {
    if (auth_ != nullptr) {
      grpc::Status a = auth_->AuthorizeCall(*context, "GET",
                                            absl::StrCat("/containerLogs/", req->namespace_(), "/",
                                                         req->pod(), "/", req->container()));
      if (!a.ok()) return a;
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
    if (auth_ != nullptr) {
      // The pod comes with the first message: the path names none.
      grpc::Status a = auth_->AuthorizeCall(*context, "POST", "/portForward");
      if (!a.ok()) return a;
    }
    return ServePortForward(dialer_, context, stream);
  }

 private:
  LogReader reader_;
  PodDialer dialer_;
  const KubeletAuth* const auth_;
};

absl::StatusOr<std::unique_ptr<KubeletServer>> KubeletServer::Start(
    const std::string& address, runtime::RuntimeClient* runtime,
    const std::optional<TlsServerFiles>& tls, const KubeletAuth* auth) {
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (tls.has_value()) {
    // Checks the files (the key is the certificate's) and makes the usual
    // credentials.
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> made = MakeServerCredentials(*tls);
    if (!made.ok()) return made.status();
    credentials = *std::move(made);
    if (tls->client_cert_auth && auth != nullptr && auth->authenticates_tokens()) {
      absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> optional =
          OptionalClientCertificateCredentials(*tls);
      if (!optional.ok()) return optional.status();
      credentials = *std::move(optional);
    }
  }
  std::unique_ptr<KubeletServer> server(new KubeletServer());
  server->service_ = std::make_unique<Service>(runtime, auth);
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
