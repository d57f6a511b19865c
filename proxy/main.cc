// minik8s-proxy: the per-node service proxy (kube-proxy's role). Watches
// Services and EndpointSlices and carries TCP traffic from each cluster IP
// and node port to the Service's endpoints. See proxy/README.md.
// Flags and wiring only: proxy/server.h owns the work.
//
//   minik8s-proxy --server 127.0.0.1:6443 --node-name node-1
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/daemon.h"
#include "proxy/server.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  // Declared before the daemon so that it outlives the health endpoint,
  // whose /rules page reads it.
  std::unique_ptr<minik8s::proxy::ProxyServer> proxy;
  minik8s::Daemon daemon(
      {.name = "minik8s-proxy",
       .description = "the service proxy of one node (or of many simulated nodes): carries TCP "
                      "from cluster IPs and node ports to the Services' endpoints",
       .health_help = "host:port of the health and metrics endpoint, e.g. 127.0.0.1:10256: "
                      "gRPC health (grpc.health.v1; SERVING once the informer caches have "
                      "synced and the first rules are programmed) and HTTP GET /healthz, "
                      "/readyz, /livez and /metrics on one port, and GET /rules: the rules as "
                      "programmed, with when each endpoint was (JSON); empty = none"});
  CLI::App& app = daemon.app();
  minik8s::proxy::ProxyServerOptions options;
  minik8s::proxy::ProxierOptions& p = options.proxier;
  std::vector<std::string> node_names;
  int nodes = 0;
  std::string node_name_prefix = "sim-node-";
  app.add_option("--server,--master", options.server, "Address of the apiserver (host:port)")
      ->capture_default_str();
  app.add_option("--kubeconfig", options.kubeconfig,
                 "kubeconfig file with the apiserver's address, the CA to trust and the client "
                 "certificate (or token) to present; --server, when given, overrides its server");
  app.add_option("--hostname-override,--node-name", node_names,
                 "The node this proxy serves: its endpoints are the local ones for "
                 "internalTrafficPolicy/externalTrafficPolicy Local. Repeat it or give a comma "
                 "list for one process serving several nodes (default: the host name)")
      ->delimiter(',');
  app.add_option("--nodes", nodes,
                 "Scale mode: serve the simulated nodes <prefix>0 .. <prefix>N-1 (as "
                 "minik8s-kubelet --nodes names them), in addition to --node-name")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--node-name-prefix", node_name_prefix, "Scale mode: node name prefix")
      ->capture_default_str();
  app.add_option("--nodeport-addresses", p.nodeport_addresses,
                 "IPv4 addresses node ports listen on (comma list; 0.0.0.0 = every address). "
                 "Unlike kube-proxy's flag these are addresses, not CIDRs")
      ->delimiter(',')
      ->capture_default_str();
  daemon.AddDurationFlag("--report-programming-period", &options.report_period,
                         "How often the proxy reports, as an EndpointsProgrammed Event per "
                         "Service, which EndpointSlice versions it programmed and when "
                         "(only Services whose slices changed; 0 = never)");
  daemon.AddDurationFlag("--min-sync-period", &p.min_sync_period,
                         "Least time between two rule syncs, so a burst of changes makes one "
                         "sync (0 = sync at every change)");
  daemon.AddDurationFlag("--sync-period", &p.sync_period,
                         "Longest time between two rule syncs (also retries frontends that "
                         "could not be bound)",
                         minik8s::DurationBound::kPositive);
  daemon.AddDurationFlag("--connect-timeout", &p.tcp.connect_timeout,
                         "How long a connect to one endpoint may take before the next endpoint "
                         "is tried",
                         minik8s::DurationBound::kPositive);
  app.add_option("--connect-attempts", p.tcp.max_connect_attempts,
                 "Endpoints tried for one client connection before it is reset")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  daemon.AddDurationFlag("--tcp-idle-timeout", &p.tcp.idle_timeout,
                         "A proxied connection with no byte either way for this long is closed",
                         minik8s::DurationBound::kPositive);
  if (std::optional<int> exit = daemon.Parse(argc, argv)) return *exit;
  // With a kubeconfig the server is its own unless --server says otherwise.
  if (!options.kubeconfig.empty() && app.count("--server") == 0) options.server.clear();

  for (int i = 0; i < nodes; ++i) node_names.push_back(absl::StrCat(node_name_prefix, i));
  if (node_names.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
      return daemon.Fail("--node-name is required (the host name cannot be read)", 2);
    }
    node_names.push_back(host);
  }
  p.node_names = node_names;
  if (p.nodeport_addresses.empty()) {
    return daemon.Fail("--nodeport-addresses needs at least one address", 2);
  }
  proxy = std::make_unique<minik8s::proxy::ProxyServer>(options);
  minik8s::HealthServer::Options health;
  health.json_pages["/rules"] = [&proxy] { return proxy->RulesPageJson(); };
  if (absl::Status s = daemon.StartHealth(std::move(health)); !s.ok()) return daemon.Fail(s);

  // A signal may come at any time, also while Start() still waits for the
  // caches.
  absl::Notification signalled;
  std::thread waiter([&] {
    daemon.WaitForShutdown();
    proxy->RequestStop();
    signalled.Notify();
  });
  absl::Status s = proxy->Start();
  int code = 0;
  if (s.ok()) {
    daemon.SetServing(true);
    signalled.WaitForNotification();
  } else if (!absl::IsCancelled(s)) {
    code = daemon.Fail(s);
  }
  proxy->Stop();
  if (!signalled.HasBeenNotified()) kill(getpid(), SIGTERM);  // release the waiter
  waiter.join();
  return code;
}
