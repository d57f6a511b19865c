// What `minik8s up` runs: the daemons of a local cluster, their flags, ports,
// sockets and log files, derived from a few options. Pure functions (no I/O),
// so that port derivation and argument building are unit-tested.
//
// Every TCP port comes from --port-base (all on 127.0.0.1):
//
//   base + 0          minik8s-store client URL
//   base + 1          minik8s-store's health and metrics endpoint
//   base + 2          the scale-mode kubelet's health and metrics endpoint
//   base + 3          minik8s-apiserver (6443 with the default base 6440;
//                     it serves /healthz and /metrics itself)
//   base + 4          the scale-mode proxy's health and metrics endpoint
//   base + 5          minik8s-apiserver's own gRPC port (--grpc-port), which
//                     the components' kubeconfigs name
//   base + 7          minik8s-controller-manager's health and metrics endpoint
//   base + 8          minik8s-scheduler's health and metrics endpoint
//   base + 9          the scale-mode kubelet's API (--scale-nodes)
//   base + 10 + i     the kubelet of node-(i+1)
//   base + 10 + N + i that kubelet's health and metrics endpoint
//   base + 10 + 2N + i  the health and metrics endpoint of node-(i+1)'s runtime
//   base + 10 + 3N + i  the health and metrics endpoint of node-(i+1)'s proxy
//
// so a cluster with N nodes uses ports [base, base + 10 + 4N); two clusters
// run side by side when their bases are at least that far apart. Runtimes
// serve the CRI on unix sockets under <data-dir>/run.
#ifndef MINIK8S_CLUSTER_PLAN_H_
#define MINIK8S_CLUSTER_PLAN_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/tls.h"

namespace minik8s::cluster {

inline constexpr int kDefaultPortBase = 6440;
inline constexpr int kDefaultNodes = 3;
inline constexpr int kMaxNodes = 200;  // one runtime + kubelet each; beyond: --scale-nodes
// The apiserver's --service-cluster-ip-range in a cluster `up` starts: the
// apiserver's default 10.96.0.0/12 with the leading 10 replaced by 127 (the
// rootless network; node i's pods get 127.244.i.0/24).
inline constexpr char kServiceClusterIpRange[] = "127.96.0.0/12";
// Clusters on one machine (tests run side by side) must not share pod or
// service addresses: the runtime binds pod IPs and the proxies cluster IPs
// on the loopback interface they all share. A cluster on the default
// --port-base uses network 0 (127.244.i.0/24 and 127.96.0.0/12); another
// uses network 1 + (port_base / 100) % kClusterNetworks: pods
// 127.(244-n).i.0/24, cluster IPs the (n-1)-th /20 of 127.112.0.0/12. Port
// bases that differ by less than 100 * kClusterNetworks in steps of 100
// (what the test harness picks) never share one.
inline constexpr int kClusterNetworks = 116;
int ClusterNetworkIndex(int port_base);
// Node `index`'s pod CIDR and the apiserver's --service-cluster-ip-range.
std::string NodePodCidr(int port_base, int index);
std::string ServiceClusterIpRange(int port_base);
inline constexpr char kScaleNodePrefix[] = "sim-node-";
// The scale-mode kubelet's certificates in the cluster PKI (one kubelet API
// for all its nodes).
inline constexpr char kScaleKubeletPkiName[] = "sim-nodes";

// Start stages: store 0, apiserver 1, controller-manager and scheduler 2,
// runtimes 3, kubelets 4, proxies 5; each starts once the one before is
// healthy. They stop in reverse, except that every stage from this one up
// stops at once: the apiserver's clients need no order among themselves, and
// the store and the apiserver still stop last (nothing is lost either way:
// every acknowledged write is durable).
inline constexpr int kStopTogetherFromStage = 2;

// Component kinds, also the keys of ClusterOptions::extra_args.
inline constexpr char kStore[] = "store";
inline constexpr char kApiserver[] = "apiserver";
inline constexpr char kControllerManager[] = "controller-manager";
inline constexpr char kScheduler[] = "scheduler";
inline constexpr char kRuntime[] = "runtime";
inline constexpr char kKubelet[] = "kubelet";
inline constexpr char kProxy[] = "proxy";

// TLS between the apiserver and the store, as etcd does it: the store serves
// https with --client-cert-auth, and the apiserver presents a client
// certificate signed by the CA the store trusts. All empty: plaintext.
struct StoreTls {
  std::string ca_file;      // the CA both sides' certificates chain to
  std::string server_cert;  // minik8s-store's serving certificate and key
  std::string server_key;
  std::string client_cert;  // the apiserver's (and the launcher's) client certificate and key
  std::string client_key;

  TlsClientFiles ClientFiles() const {
    return {.ca_file = ca_file, .cert_file = client_cert, .key_file = client_key};
  }
};

// Derived from the PKI `minik8s up` keeps under PkiDir(data_dir).
StoreTls StoreTlsFromPki(const std::string& pki_dir);

// Where the scale kubelet keeps its pods' volumes when `shm_dir` (/dev/shm,
// a tmpfs every user may write) is usable: a folder named after the user and
// the data dir, so two clusters never share one. Kubernetes keeps secret
// and projected volumes on tmpfs; 10,000 simulated pods would otherwise make
// some 120,000 inodes on disk. The scale kubelet removes it when it stops:
// its in-process runtime's containers end with it.
std::string MemoryBackedRootDir(const std::string& shm_dir, const std::string& data_dir,
                                unsigned uid);

// How the admin dials the apiserver: the cluster CA and the admin's client
// certificate (kubernetes-admin, system:masters) from that PKI.
TlsClientFiles AdminTlsFromPki(const std::string& pki_dir);

struct ClusterOptions {
  std::string data_dir;  // absolute
  std::string bin_dir;   // where the minik8s-* daemons are
  int port_base = kDefaultPortBase;
  // The address the apiserver binds and the components and clients dial
  // (`up --advertise-address`); another machine joins through it.
  std::string advertise_address = "127.0.0.1";
  std::string etcd_servers;  // "" = start minik8s-store; else the apiserver uses these
  // The started store serves TLS when server_cert is set; the apiserver dials
  // an https:// store with the client files.
  StoreTls store_tls;
  // The apiserver reaches the store `up` starts through a unix socket in
  // RunDir (StoreSocketPath), private to the user as the data dir is (it
  // is created 0600; whoever could connect to it could read the store's
  // files and keys anyway), as k3s reaches its datastore: no TLS on the
  // hop every write crosses. The store's TCP port stays for everyone else
  // (etcdctl, `minik8s status`), on TLS with store_tls. false: the
  // apiserver dials the TCP port too.
  bool store_socket = true;
  // The apiserver serves TLS and authenticates client certificates from the
  // cluster PKI under pki_dir; the controller-manager, the scheduler and the
  // kubelets reach it with their own kubeconfigs (ComponentKubeconfigPath,
  // written by `up`), the launcher's probes with the admin certificate.
  bool apiserver_tls = false;
  // The apiserver's --authorization-mode over TLS (kubeadm's); with Node,
  // NodeRestriction admission as well. Unused in plaintext, where every
  // caller is anonymous.
  std::string authorization_mode = "Node,RBAC";
  std::string pki_dir;
  int nodes = kDefaultNodes;
  int scale_nodes = 0;  // > 0: one extra kubelet simulating this many nodes
  // The scale kubelet's --root-dir; "" = <data_dir>/kubelet/sim. `up` puts
  // it in memory when it can (MemoryBackedRootDir).
  std::string scale_kubelet_root_dir;
  std::string log_level = "info";
  // Extra flags per component kind (kStore, ..., kKubelet), appended last so
  // they override the derived ones.
  std::map<std::string, std::vector<std::string>> extra_args;
};

struct PortPlan {
  int store = 0;
  int apiserver = 0;
  int apiserver_grpc = 0;
  int store_health = 0;
  int controller_manager = 0;  // health endpoint
  int scheduler = 0;           // health endpoint
  int scale_kubelet = 0;
  int scale_kubelet_health = 0;
  int scale_proxy_health = 0;
  std::vector<int> kubelets;        // kubelets[i] is node-(i+1)'s
  std::vector<int> kubelet_health;  // kubelet_health[i] is node-(i+1)'s kubelet's
  std::vector<int> runtime_health;  // runtime_health[i] is node-(i+1)'s runtime's
  std::vector<int> proxy_health;    // proxy_health[i] is node-(i+1)'s proxy's
  int first = 0, last = 0;          // the whole range used
};

// InvalidArgument when a derived port leaves [1024, 65535].
absl::StatusOr<PortPlan> DerivePorts(int port_base, int nodes);

// How the launcher decides that a component is up.
enum class HealthCheck {
  kEtcdStatus,  // etcd Maintenance.Status answers on `address`
  kGrpcHealth,  // grpc.health.v1 Check("") is SERVING on `address`
  kStaysUp,     // no health endpoint: the process is still running after a moment
  kNodesReady,  // the Node objects in `node_names` are Ready
};

struct ComponentSpec {
  std::string name;               // unique: "store", "runtime-node-1", "kubelet-sim", ...
  std::string kind;               // kStore, ..., kKubelet
  std::string binary;             // absolute path of the executable
  std::vector<std::string> args;  // argv[1..]
  std::string address;            // what it serves: "127.0.0.1:6443", "unix:///...", "" for nothing
  int port = 0;                   // TCP port that must be free before the start; 0 = none
  std::string log_file;
  // Components start stage by stage in increasing order (each stage healthy
  // before the next) and stop in decreasing order.
  int stage = 0;
  HealthCheck health = HealthCheck::kStaysUp;
  std::vector<std::string> node_names;  // kNodesReady: the nodes it registers
  TlsClientFiles health_tls;            // kEtcdStatus over TLS: how to dial `address`
  bool health_uses_tls = false;
};

// Derived paths inside the data dir.
std::string StoreDataDir(const std::string& data_dir);
std::string PkiDir(const std::string& data_dir);
std::string LogDir(const std::string& data_dir);
// <data_dir>/kubeconfigs/<component>.conf: how the component (its ComponentSpec
// name: controller-manager, scheduler, kubelet-node-1, ...) reaches an
// apiserver that serves TLS.
std::string ComponentKubeconfigPath(const std::string& data_dir, const std::string& component);
std::string RunDir(const std::string& data_dir);
// The started store's unix socket (ClusterOptions::store_socket).
std::string StoreSocketPath(const std::string& data_dir);
std::string StateFilePath(const std::string& data_dir);
std::string LockFilePath(const std::string& data_dir);

// "node-1" .. "node-N".
std::string NodeName(int index);

// The components of the cluster in start order: store (unless etcd_servers),
// apiserver, controller-manager, scheduler, one runtime per node, one kubelet
// per node, the scale kubelet, one minik8s-proxy per node and one for the
// simulated nodes. InvalidArgument on bad options (ports out of
// range, too many nodes, a socket path longer than a unix socket allows).
absl::StatusOr<std::vector<ComponentSpec>> PlanCluster(const ClusterOptions& options);

// --workers of the scale kubelet simulating `scale_nodes` nodes: one pod
// worker per 16 nodes, at least the kubelet's default 8 and at most 64. A
// worker is busy for a pod's whole sync, and a sync is mostly the status
// write's round trip (tens of ms under load), so 8 workers start at most a
// few hundred pods/s however many nodes the process simulates (a real
// cluster has a kubelet, with its own workers, per node).
int ScaleKubeletWorkers(int scale_nodes);

// The apiserver's address for clients, e.g. "127.0.0.1:6443"
// (<advertise_address>:<port>).
std::string ApiserverAddress(const ClusterOptions& options);
// Its own gRPC port's: "127.0.0.1:6445".
std::string ApiserverGrpcAddress(const ClusterOptions& options);

}  // namespace minik8s::cluster

#endif  // MINIK8S_CLUSTER_PLAN_H_
