#include "proxy/server.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proxy/rules_page.h"
#include "spdlog/spdlog.h"

namespace minik8s::proxy {

using minik8s::core::v1::Service;
using minik8s::discovery::v1::EndpointSlice;

namespace {
// kube-proxy's selector: objects another service proxy implements are not
// ours.
constexpr char kNotOtherProxy[] = "!service.kubernetes.io/service-proxy-name";
}  // namespace

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read token file ", path));
  std::string token(absl::StripAsciiWhitespace(buf.str()));
  if (token.empty())
    return absl::InvalidArgumentError(absl::StrCat("token file ", path, " is empty"));
  return token;
}

ProxyServer::ProxyServer(ProxyServerOptions options) : options_(std::move(options)) {}

ProxyServer::~ProxyServer() { Stop(); }

absl::Status ProxyServer::Start() {
  absl::StatusOr<std::unique_ptr<client::Clientset>> cs =
      client::Clientset::Connect({.server = options_.server,
                                  .user_agent = "minik8s-proxy",
                                  .bearer_token = options_.bearer_token});
  if (!cs.ok()) {
    return absl::Status(cs.status().code(), absl::StrCat("cannot connect to ", options_.server,
                                                         ": ", cs.status().message()));
  }
  clientset_ = *std::move(cs);
  services_ = std::make_unique<client::Informer<Service>>(
      clientset_->api(),
      client::InformerOptions{.name = "services", .label_selector = kNotOtherProxy});
  slices_ = std::make_unique<client::Informer<EndpointSlice>>(
      clientset_->api(),
      client::InformerOptions{.name = "endpointslices", .label_selector = kNotOtherProxy});
  proxier_ =
      std::make_unique<Proxier>(services_->GetLister(), slices_->GetLister(), options_.proxier);
  proxier_->RegisterHandlers(services_.get(), slices_.get());
  published_ = proxier_.get();
  services_->Start();
  slices_->Start();
  absl::Time next_log = absl::Now() + absl::Seconds(5);
  while (!client::WaitForCacheSync(absl::Milliseconds(100), *services_, *slices_)) {
    if (stop_requested_.load()) return absl::CancelledError("stopped before the caches synced");
    if (absl::Now() >= next_log) {
      spdlog::info("waiting for informer caches to sync with {}", options_.server);
      next_log = absl::Now() + absl::Seconds(5);
    }
  }
  spdlog::info("caches synced; serving node(s) {}",
               absl::StrJoin(options_.proxier.node_names, ","));
  proxier_->Sync();
  proxier_->Run();
  return absl::OkStatus();
}

std::string ProxyServer::RulesPageJson() {
  if (Proxier* p = published_.load()) return p->RulesPageJson();
  return RulesPage({.nodes = options_.proxier.node_names,
                    .nodeport_addresses = options_.proxier.nodeport_addresses});
}

void ProxyServer::Stop() {
  if (proxier_) proxier_->Stop();
  if (slices_) slices_->Stop();
  if (services_) services_->Stop();
}

}  // namespace minik8s::proxy
