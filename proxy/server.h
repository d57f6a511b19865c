// ProxyServer: minik8s-proxy's wiring as a class — one connection to the
// apiserver, informers on Services and EndpointSlices (all namespaces,
// without the ones labelled service.kubernetes.io/service-proxy-name, which
// another proxy owns, as kube-proxy does) and the Proxier over them.
//
// Lifecycle: Start() connects, starts the informers, waits for their caches
// (logging while the apiserver is away) and runs the first sync before the
// sync thread and the programming reporter; Stop() stops the reporter, the
// sync thread, then the informers. A proxy
// keeps serving its last rules while the apiserver is away.
//
// Thread safety: Start/Stop from one owner thread; RequestStop from any.
#ifndef MINIK8S_PROXY_SERVER_H_
#define MINIK8S_PROXY_SERVER_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "client/clientset.h"
#include "client/informer.h"
#include "proxy/programming_reporter.h"
#include "proxy/proxier.h"

namespace minik8s::proxy {

struct ProxyServerOptions {
  std::string server = "127.0.0.1:6443";  // "" with a kubeconfig: its server
  // kubeconfig file: the apiserver's address, CA and the client certificate
  // or token (client/kubeconfig.h); "" = plaintext to `server`.
  std::string kubeconfig;
  ProxierOptions proxier;
  // How often the programming reports (Events, programming_report.h) are
  // written; 0 = never.
  absl::Duration report_period = absl::Seconds(1);
};

class ProxyServer {
 public:
  explicit ProxyServer(ProxyServerOptions options);
  ~ProxyServer();  // Stop()
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Cancelled when RequestStop() came before the caches synced.
  absl::Status Start();
  void RequestStop() { stop_requested_ = true; }
  void Stop();

  // Null before Start().
  Proxier* proxier() { return proxier_.get(); }
  // The /rules page (rules_page.h); no rules before Start(). Safe from any
  // thread.
  std::string RulesPageJson();

 private:
  const ProxyServerOptions options_;
  std::string server_;  // the apiserver dialled (from the kubeconfig or --server)
  std::unique_ptr<client::Clientset> clientset_;
  std::unique_ptr<client::Informer<minik8s::core::v1::Service>> services_;
  std::unique_ptr<client::Informer<minik8s::discovery::v1::EndpointSlice>> slices_;
  std::unique_ptr<Proxier> proxier_;
  std::unique_ptr<ProgrammingReporter> reporter_;
  std::atomic<Proxier*> published_{nullptr};  // proxier_ once it exists
  std::atomic<bool> stop_requested_{false};
};

}  // namespace minik8s::proxy

#endif  // MINIK8S_PROXY_SERVER_H_
