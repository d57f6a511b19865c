#include "proxy/server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/kubeconfig.h"
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

ProxyServer::ProxyServer(ProxyServerOptions options) : options_(std::move(options)) {}

ProxyServer::~ProxyServer() { Stop(); }

absl::Status ProxyServer::Start() {
  absl::StatusOr<client::ApiClientOptions> api =
      client::ComponentApiClientOptions(options_.server, options_.kubeconfig, "minik8s-proxy");
  if (!api.ok()) return api.status();
  server_ = api->server;
  absl::StatusOr<std::unique_ptr<client::Clientset>> cs = client::Clientset::Connect(*api);
  if (!cs.ok()) {
    return absl::Status(cs.status().code(),
                        absl::StrCat("cannot connect to ", server_, ": ", cs.status().message()));
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
      spdlog::info("waiting for informer caches to sync with {}", server_);
      next_log = absl::Now() + absl::Seconds(5);
    }
  }
  spdlog::info("caches synced; serving node(s) {}",
               absl::StrJoin(options_.proxier.node_names, ","));
  proxier_->Sync();
  proxier_->Run();
  if (options_.report_period > absl::ZeroDuration()) {
    reporter_ = std::make_unique<ProgrammingReporter>(clientset_->api(), proxier_.get(),
                                                      options_.report_period);
    reporter_->Start();
  }
  return absl::OkStatus();
}

std::string ProxyServer::RulesPageJson() {
  if (Proxier* p = published_.load()) return p->RulesPageJson();
  return RulesPage({.nodes = options_.proxier.node_names,
                    .nodeport_addresses = options_.proxier.nodeport_addresses});
}

void ProxyServer::Stop() {
  if (reporter_) reporter_->Stop();
  if (proxier_) proxier_->Stop();
  if (slices_) slices_->Stop();
  if (services_) services_->Stop();
}

}  // namespace minik8s::proxy
