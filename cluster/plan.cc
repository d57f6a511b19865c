#include "cluster/plan.h"

#include <sys/un.h>

#include <algorithm>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "pki/cluster_pki.h"

namespace minik8s::cluster {
namespace {

constexpr int kStoreOffset = 0;
constexpr int kStoreHealthOffset = 1;
constexpr int kScaleKubeletHealthOffset = 2;
constexpr int kApiserverOffset = 3;
constexpr int kScaleProxyHealthOffset = 4;
constexpr int kApiserverGrpcOffset = 5;
constexpr int kControllerManagerOffset = 7;
constexpr int kSchedulerOffset = 8;
constexpr int kScaleKubeletOffset = 9;
constexpr int kFirstKubeletOffset = 10;

constexpr int kStageStore = 0;
constexpr int kStageApiserver = 1;
constexpr int kStageControlPlane = kStopTogetherFromStage;  // controller-manager and scheduler
constexpr int kStageRuntimes = 3;
constexpr int kStageKubelets = 4;
constexpr int kStageProxies = 5;  // after the kubelets: pods get addresses first

std::string Loopback(int port) { return absl::StrCat("127.0.0.1:", port); }

std::string Bin(const ClusterOptions& options, const std::string& name) {
  return absl::StrCat(options.bin_dir, "/", name);
}

void AppendExtra(const ClusterOptions& options, const std::string& kind,
                 std::vector<std::string>* args) {
  auto it = options.extra_args.find(kind);
  if (it == options.extra_args.end()) return;
  args->insert(args->end(), it->second.begin(), it->second.end());
}

}  // namespace

int ClusterNetworkIndex(int port_base) {
  if (port_base == kDefaultPortBase) return 0;
  return 1 + (port_base / 100) % kClusterNetworks;
}

// 127.244.<index>.0/24 for node-(index): distinct per node, like the
// per-node podCIDRs Kubernetes hands out of 10.244.0.0/16 with the leading
// 10 replaced by 127, so that the runtime can answer on pod addresses
// without root (every 127.0.0.0/8 address is the loopback interface's; see
// runtime/README.md). Another cluster network n takes 127.(244-n).
// Scale-mode nodes get 10.128.0.0/9 ranges from the kubelet itself, on
// which nothing listens.
std::string NodePodCidr(int port_base, int index) {
  return absl::StrCat("127.", 244 - ClusterNetworkIndex(port_base), ".", index, ".0/24");
}

std::string ServiceClusterIpRange(int port_base) {
  const int n = ClusterNetworkIndex(port_base);
  if (n == 0) return kServiceClusterIpRange;
  // The (n-1)-th /20 of 127.112.0.0/12, beside the default's 127.96.0.0/12.
  return absl::StrCat("127.", 112 + (n - 1) / 16, ".", ((n - 1) % 16) * 16, ".0/20");
}

absl::StatusOr<PortPlan> DerivePorts(int port_base, int nodes) {
  if (nodes < 0) return absl::InvalidArgumentError("the node count cannot be negative");
  PortPlan plan;
  plan.store = port_base + kStoreOffset;
  plan.store_health = port_base + kStoreHealthOffset;
  plan.scale_kubelet_health = port_base + kScaleKubeletHealthOffset;
  plan.scale_proxy_health = port_base + kScaleProxyHealthOffset;
  plan.apiserver = port_base + kApiserverOffset;
  plan.apiserver_grpc = port_base + kApiserverGrpcOffset;
  plan.controller_manager = port_base + kControllerManagerOffset;
  plan.scheduler = port_base + kSchedulerOffset;
  plan.scale_kubelet = port_base + kScaleKubeletOffset;
  for (int i = 0; i < nodes; ++i) {
    plan.kubelets.push_back(port_base + kFirstKubeletOffset + i);
    plan.kubelet_health.push_back(port_base + kFirstKubeletOffset + nodes + i);
    plan.runtime_health.push_back(port_base + kFirstKubeletOffset + 2 * nodes + i);
    plan.proxy_health.push_back(port_base + kFirstKubeletOffset + 3 * nodes + i);
  }
  plan.first = port_base;
  plan.last = port_base + kFirstKubeletOffset + (nodes > 0 ? 4 * nodes - 1 : 0);
  if (plan.first < 1024 || plan.last > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--port-base ", port_base, " gives ports ", plan.first, "-", plan.last,
                     "; they must lie within 1024-65535 (a cluster with ", nodes, " nodes uses ",
                     plan.last - plan.first + 1, " ports from the base)"));
  }
  return plan;
}

std::string StoreDataDir(const std::string& data_dir) { return data_dir + "/store"; }
std::string PkiDir(const std::string& data_dir) { return data_dir + "/pki"; }

StoreTls StoreTlsFromPki(const std::string& pki_dir) {
  const pki::ClusterPkiPaths paths = pki::ClusterPkiLayout(pki_dir, {});
  return {.ca_file = paths.ca.cert,
          .server_cert = paths.store.cert,
          .server_key = paths.store.key,
          .client_cert = paths.apiserver_etcd_client.cert,
          .client_key = paths.apiserver_etcd_client.key};
}
TlsClientFiles AdminTlsFromPki(const std::string& pki_dir) {
  const pki::ClusterPkiPaths paths = pki::ClusterPkiLayout(pki_dir, {});
  return {.ca_file = paths.ca.cert, .cert_file = paths.admin.cert, .key_file = paths.admin.key};
}
std::string LogDir(const std::string& data_dir) { return data_dir + "/logs"; }
std::string ComponentKubeconfigPath(const std::string& data_dir, const std::string& component) {
  return absl::StrCat(data_dir, "/kubeconfigs/", component, ".conf");
}
std::string RunDir(const std::string& data_dir) { return data_dir + "/run"; }
// A kubelet's --root-dir (its pods' volumes): one folder a node, so two
// kubelets of one cluster never share a pods/<uid> tree.
static std::string KubeletRootDir(const std::string& data_dir, const std::string& node) {
  return absl::StrCat(data_dir, "/kubelet/", node);
}
std::string MemoryBackedRootDir(const std::string& shm_dir, const std::string& data_dir,
                                unsigned uid) {
  // FNV-1a of the data dir: stable across runs, short enough for a name.
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : data_dir) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return absl::StrCat(shm_dir, "/minik8s-", uid, "-", absl::Hex(hash, absl::kZeroPad16),
                      "-kubelet-sim");
}
std::string StoreSocketPath(const std::string& data_dir) {
  return RunDir(data_dir) + "/store.sock";
}
std::string StateFilePath(const std::string& data_dir) { return data_dir + "/minik8s.state"; }
std::string LockFilePath(const std::string& data_dir) { return data_dir + "/minik8s.lock"; }
std::string NodeName(int index) { return absl::StrCat("node-", index); }

int ScaleKubeletWorkers(int scale_nodes) {
  constexpr int kNodesPerWorker = 16, kMinWorkers = 8, kMaxWorkers = 64;
  return std::clamp(scale_nodes / kNodesPerWorker, kMinWorkers, kMaxWorkers);
}

std::string ApiserverAddress(const ClusterOptions& options) {
  return absl::StrCat(options.advertise_address, ":", options.port_base + kApiserverOffset);
}

std::string ApiserverGrpcAddress(const ClusterOptions& options) {
  return absl::StrCat(options.advertise_address, ":", options.port_base + kApiserverGrpcOffset);
}

// How a component reaches the apiserver: --server, or over TLS its own
// kubeconfig.
void ApiserverFlags(const ClusterOptions& options, const std::string& api,
                    const std::string& component, std::vector<std::string>* args) {
  if (options.apiserver_tls) {
    args->insert(args->end(),
                 {"--kubeconfig", ComponentKubeconfigPath(options.data_dir, component)});
  } else {
    args->insert(args->end(), {"--server", api});
  }
}

// With the apiserver on TLS, a kubelet serves its API over TLS too, with
// the serving certificate the PKI holds for `pki_node`, to callers whose
// certificate the cluster CA signed or whose bearer token the apiserver
// authenticates (--authentication-token-webhook, kubelet/token_webhook.h),
// and asks the apiserver whether each may (Webhook authorization,
// kubelet/server_auth.h), as kubeadm sets it up.
void KubeletApiTlsFlags(const ClusterOptions& options, const std::string& pki_node,
                        std::vector<std::string>* args) {
  if (!options.apiserver_tls) return;
  const pki::ClusterPkiPaths pki = pki::ClusterPkiLayout(options.pki_dir, {pki_node});
  const pki::CertKeyPaths& serving = pki.kubelets.at(pki_node).serving;
  args->insert(args->end(), {"--tls-cert-file", serving.cert, "--tls-private-key-file", serving.key,
                             "--client-ca-file", pki.ca.cert, "--authentication-token-webhook",
                             "--authorization-mode", "Webhook"});
}

// With the apiserver on TLS, every health endpoint speaks TLS only (as
// kube-scheduler's and kube-controller-manager's secure ports), presenting
// the PKI's health-serving certificate; /metrics asks for a certificate the
// cluster CA signed.
void HealthTlsFlags(const ClusterOptions& options, ComponentSpec* s) {
  if (!options.apiserver_tls) return;
  const pki::ClusterPkiPaths pki = pki::ClusterPkiLayout(options.pki_dir, {});
  s->args.insert(s->args.end(),
                 {"--health-tls-cert-file", pki.health.cert, "--health-tls-private-key-file",
                  pki.health.key, "--health-client-ca-file", pki.ca.cert});
  // `up` checks the health port itself for some (the runtime it checks on
  // its own socket).
  auto flag = std::find(s->args.begin(), s->args.end(), "--health-address");
  if (s->health == HealthCheck::kGrpcHealth && flag != s->args.end() &&
      std::next(flag) != s->args.end() && *std::next(flag) == s->address) {
    s->health_tls = AdminTlsFromPki(options.pki_dir);
    s->health_uses_tls = true;
  }
}

absl::StatusOr<std::vector<ComponentSpec>> PlanCluster(const ClusterOptions& options) {
  if (options.nodes < 0 || options.nodes > kMaxNodes) {
    return absl::InvalidArgumentError(absl::StrCat("--nodes must be between 0 and ", kMaxNodes,
                                                   " (got ", options.nodes,
                                                   "); simulate more with --scale-nodes"));
  }
  if (options.scale_nodes < 0) {
    return absl::InvalidArgumentError("--scale-nodes cannot be negative");
  }
  if (options.nodes == 0 && options.scale_nodes == 0) {
    return absl::InvalidArgumentError(
        "a cluster needs at least one node (--nodes or --scale-nodes)");
  }
  absl::StatusOr<PortPlan> ports = DerivePorts(options.port_base, options.nodes);
  if (!ports.ok()) return ports.status();
  const std::string logs = LogDir(options.data_dir);
  const std::string api = ApiserverAddress(options);
  auto log_file = [&](const std::string& name) { return absl::StrCat(logs, "/", name, ".log"); };

  std::vector<ComponentSpec> specs;
  std::string etcd_servers = options.etcd_servers;
  if (etcd_servers.empty()) {
    ComponentSpec s;
    s.name = s.kind = kStore;
    s.binary = Bin(options, "minik8s-store");
    s.address = Loopback(ports->store);
    s.port = ports->store;
    const StoreTls& tls = options.store_tls;
    const bool serve_tls = !tls.server_cert.empty();
    etcd_servers = absl::StrCat(serve_tls ? "https://" : "http://", s.address);
    std::string listen_urls = etcd_servers;
    if (options.store_socket) {
      const std::string socket_path = StoreSocketPath(options.data_dir);
      if (socket_path.size() >= sizeof(sockaddr_un::sun_path)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the store socket path ", socket_path, " is longer than a unix socket allows (",
            sizeof(sockaddr_un::sun_path) - 1,
            " bytes); choose a shorter --data-dir or --store-socket=false"));
      }
      etcd_servers = absl::StrCat("unix://", socket_path);
      absl::StrAppend(&listen_urls, ",", etcd_servers);
    }
    s.args = {"--name",
              "minik8s",
              "--data-dir",
              StoreDataDir(options.data_dir),
              "--listen-client-urls",
              listen_urls,
              "--health-address",
              Loopback(ports->store_health),
              "--log-level",
              options.log_level};
    if (serve_tls) {
      s.args.insert(s.args.end(), {"--cert-file", tls.server_cert, "--key-file", tls.server_key,
                                   "--trusted-ca-file", tls.ca_file, "--client-cert-auth"});
      s.health_tls = tls.ClientFiles();
      s.health_uses_tls = true;
    }
    s.log_file = log_file(s.name);
    s.stage = kStageStore;
    s.health = HealthCheck::kEtcdStatus;
    HealthTlsFlags(options, &s);
    AppendExtra(options, kStore, &s.args);
    specs.push_back(std::move(s));
  }
  {
    ComponentSpec s;
    s.name = s.kind = kApiserver;
    s.binary = Bin(options, "minik8s-apiserver");
    s.address = api;
    s.port = ports->apiserver;
    s.args = {"--etcd-servers", etcd_servers,
              "--bind-address", options.advertise_address,
              "--port",         absl::StrCat(ports->apiserver),
              "--grpc-port",    absl::StrCat(ports->apiserver_grpc),
              "--log-level",    options.log_level};
    // The rootless network: cluster IPs on loopback, and EndpointSlices that
    // may hold the 127.244.x.y pod addresses.
    s.args.insert(s.args.end(),
                  {"--service-cluster-ip-range", ServiceClusterIpRange(options.port_base),
                   "--allow-loopback-endpoints"});
    // The store's client files, for an https:// store (not over the socket).
    const StoreTls& tls = options.store_tls;
    for (const auto& [flag, value] :
         {std::pair{"--etcd-cafile", tls.ca_file}, std::pair{"--etcd-certfile", tls.client_cert},
          std::pair{"--etcd-keyfile", tls.client_key}}) {
      if (!value.empty() && absl::StrContains(etcd_servers, "https://")) {
        s.args.insert(s.args.end(), {flag, value});
      }
    }
    if (options.apiserver_tls) {
      const pki::ClusterPkiPaths pki = pki::ClusterPkiLayout(options.pki_dir, {});
      // The bundle (certificate, then the CA) lets a joining node pin the
      // CA by its hash; bootstrap tokens are how it first authenticates.
      s.args.insert(s.args.end(), {"--tls-cert-file", pki.apiserver_bundle,
                                   "--tls-private-key-file", pki.apiserver.key, "--client-ca-file",
                                   pki.ca.cert, "--enable-bootstrap-token-auth"});
      s.health_tls = AdminTlsFromPki(options.pki_dir);
      s.health_uses_tls = true;
      // Every caller is someone: authorized as kubeadm sets it up, the
      // kubelets by the Node authorizer and NodeRestriction, everyone else
      // by RBAC and its bootstrap roles.
      s.args.insert(s.args.end(), {"--authorization-mode", options.authorization_mode});
      for (absl::string_view mode : absl::StrSplit(options.authorization_mode, ',')) {
        if (mode == "Node") {
          s.args.insert(s.args.end(), {"--enable-admission-plugins", "NodeRestriction"});
        }
      }
      // The kubelets' API (pods/log) over TLS, as kubeadm sets it up.
      s.args.insert(s.args.end(),
                    {"--kubelet-certificate-authority", pki.ca.cert, "--kubelet-client-certificate",
                     pki.apiserver_kubelet_client.cert, "--kubelet-client-key",
                     pki.apiserver_kubelet_client.key});
      // ServiceAccount tokens, signed and verified with kubeadm's sa.key
      // and sa.pub under kubeadm's issuer.
      s.args.insert(s.args.end(),
                    {"--service-account-key-file", pki.service_account_public_key,
                     "--service-account-signing-key-file", pki.service_account_key,
                     "--service-account-issuer", "https://kubernetes.default.svc.cluster.local"});
    }
    s.log_file = log_file(s.name);
    s.stage = kStageApiserver;
    s.health = HealthCheck::kGrpcHealth;
    AppendExtra(options, kApiserver, &s.args);
    specs.push_back(std::move(s));
  }
  // One controller-manager and one scheduler: leader election only delays a
  // restart after a crash (until the old Lease expires), so it is off.
  for (const char* kind : {kControllerManager, kScheduler}) {
    ComponentSpec s;
    s.name = s.kind = kind;
    s.binary = Bin(options, absl::StrCat("minik8s-", kind));
    s.port = std::string(kind) == kScheduler ? ports->scheduler : ports->controller_manager;
    s.address = Loopback(s.port);
    s.args = {"--leader-elect", "false",       "--health-address",
              s.address,        "--log-level", options.log_level};
    ApiserverFlags(options, api, s.name, &s.args);
    if (std::string(kind) == kControllerManager && options.apiserver_tls) {
      // The cluster CA signs approved CSRs (a joining kubelet's), as kubeadm sets it up.
      const pki::ClusterPkiPaths pki = pki::ClusterPkiLayout(options.pki_dir, {});
      s.args.insert(s.args.end(), {"--cluster-signing-cert-file", pki.ca.cert,
                                   "--cluster-signing-key-file", pki.ca.key});
    }
    s.log_file = log_file(s.name);
    s.stage = kStageControlPlane;
    s.health = HealthCheck::kGrpcHealth;
    HealthTlsFlags(options, &s);
    AppendExtra(options, kind, &s.args);
    specs.push_back(std::move(s));
  }
  std::vector<std::string> sockets;
  for (int i = 1; i <= options.nodes; ++i) {
    const std::string node = NodeName(i);
    const std::string socket_path = absl::StrCat(RunDir(options.data_dir), "/", node, ".sock");
    if (socket_path.size() >= sizeof(sockaddr_un::sun_path)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the runtime socket path ", socket_path, " is longer than a unix socket allows (",
          sizeof(sockaddr_un::sun_path) - 1, " bytes); choose a shorter --data-dir"));
    }
    sockets.push_back(absl::StrCat("unix://", socket_path));
    ComponentSpec s;
    s.name = absl::StrCat("runtime-", node);
    s.kind = kRuntime;
    s.binary = Bin(options, "minik8s-runtime");
    s.address = sockets.back();
    // The runtime hands out no addresses: the node's kubelet assigns pod IPs
    // from its --pod-cidr and passes each to the runtime (as with CRI).
    s.args = {"--listen",         s.address,
              "--health-address", Loopback(ports->runtime_health[i - 1]),
              "--log-level",      options.log_level};
    s.log_file = log_file(s.name);
    s.stage = kStageRuntimes;
    s.health = HealthCheck::kGrpcHealth;
    HealthTlsFlags(options, &s);
    AppendExtra(options, kRuntime, &s.args);
    specs.push_back(std::move(s));
  }
  for (int i = 1; i <= options.nodes; ++i) {
    const std::string node = NodeName(i);
    ComponentSpec s;
    s.name = absl::StrCat("kubelet-", node);
    s.kind = kKubelet;
    s.binary = Bin(options, "minik8s-kubelet");
    s.port = ports->kubelets[i - 1];
    s.address = Loopback(s.port);
    s.args = {"--node-name",
              node,
              "--container-runtime-endpoint",
              sockets[i - 1],
              "--port",
              absl::StrCat(s.port),
              "--pod-cidr",
              NodePodCidr(options.port_base, i),
              "--root-dir",
              KubeletRootDir(options.data_dir, node),
              "--health-address",
              Loopback(ports->kubelet_health[i - 1]),
              "--log-level",
              options.log_level};
    ApiserverFlags(options, api, s.name, &s.args);
    KubeletApiTlsFlags(options, node, &s.args);
    s.log_file = log_file(s.name);
    s.stage = kStageKubelets;
    s.health = HealthCheck::kNodesReady;
    s.node_names = {node};
    HealthTlsFlags(options, &s);
    AppendExtra(options, kKubelet, &s.args);
    specs.push_back(std::move(s));
  }
  if (options.scale_nodes > 0) {
    ComponentSpec s;
    s.name = "kubelet-sim";
    s.kind = kKubelet;
    s.binary = Bin(options, "minik8s-kubelet");
    s.port = ports->scale_kubelet;
    s.address = Loopback(s.port);
    s.args = {"--nodes",
              absl::StrCat(options.scale_nodes),
              "--node-name-prefix",
              kScaleNodePrefix,
              "--port",
              absl::StrCat(s.port),
              "--workers",
              absl::StrCat(ScaleKubeletWorkers(options.scale_nodes)),
              "--root-dir",
              options.scale_kubelet_root_dir.empty() ? KubeletRootDir(options.data_dir, "sim")
                                                     : options.scale_kubelet_root_dir,
              "--health-address",
              Loopback(ports->scale_kubelet_health),
              "--log-level",
              options.log_level};
    ApiserverFlags(options, api, s.name, &s.args);
    KubeletApiTlsFlags(options, kScaleKubeletPkiName, &s.args);
    s.log_file = log_file(s.name);
    s.stage = kStageKubelets;
    s.health = HealthCheck::kNodesReady;
    for (int i = 0; i < options.scale_nodes; ++i) {
      s.node_names.push_back(absl::StrCat(kScaleNodePrefix, i));
    }
    HealthTlsFlags(options, &s);
    AppendExtra(options, kKubelet, &s.args);
    specs.push_back(std::move(s));
  }
  // The service proxies: one per node, as kube-proxy runs, and one process
  // for all the simulated nodes. Node ports listen on 127.0.0.1; every
  // proxy binds the same addresses (SO_REUSEPORT, proxy/README.md).
  auto add_proxy = [&](const std::string& name, int health_port,
                       const std::vector<std::string>& node_args) {
    ComponentSpec s;
    s.name = name;
    s.kind = kProxy;
    s.binary = Bin(options, "minik8s-proxy");
    s.port = health_port;
    s.address = Loopback(health_port);
    ApiserverFlags(options, api, s.name, &s.args);
    s.args.insert(s.args.end(), node_args.begin(), node_args.end());
    s.args.insert(s.args.end(), {"--nodeport-addresses", "127.0.0.1", "--health-address", s.address,
                                 "--log-level", options.log_level});
    s.log_file = log_file(s.name);
    s.stage = kStageProxies;
    s.health = HealthCheck::kGrpcHealth;
    HealthTlsFlags(options, &s);
    AppendExtra(options, kProxy, &s.args);
    specs.push_back(std::move(s));
  };
  for (int i = 1; i <= options.nodes; ++i) {
    add_proxy(absl::StrCat("proxy-", NodeName(i)), ports->proxy_health[i - 1],
              {"--node-name", NodeName(i)});
  }
  if (options.scale_nodes > 0) {
    add_proxy(
        "proxy-sim", ports->scale_proxy_health,
        {"--nodes", absl::StrCat(options.scale_nodes), "--node-name-prefix", kScaleNodePrefix});
  }
  return specs;
}

}  // namespace minik8s::cluster
