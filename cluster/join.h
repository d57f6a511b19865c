// More than one machine: what `minik8s up` prepares so that nodes can join,
// and `minik8s join`, which starts a node that joins, as kubeadm's
// "bootstrap-token" phase and `kubeadm join` do.
//
// The control plane side (`up`, with the apiserver on TLS):
//   - a bootstrap token: the Secret kube-system/bootstrap-token-<id> of type
//     bootstrap.kubernetes.io/token, for authentication, in the group
//     system:bootstrappers:minik8s:default-node-token, valid 24 hours; a
//     later `up` reuses it while it has more than an hour left;
//   - four ClusterRoleBindings, kubeadm's three under minik8s' names: that
//     group may create CSRs (system:node-bootstrapper) and have node client
//     CSRs approved (...:nodeclient); nodes may renew their own
//     (...:selfnodeclient, for the group system:nodes); and minik8s' own:
//     that group may have a system:kube-proxy client CSR approved
//     (minik8s:certificatesigningrequests:kubeproxyclient);
//   - the join command, printed: server, the apiserver's gRPC port, token
//     and the CA's pin.
//
// The joining side (`minik8s join --server https://ADDR:PORT --token T
// --ca-cert-hash sha256:H`):
//   1. Discovery: a TLS handshake with the apiserver that trusts nothing
//      yet. The apiserver presents its certificate followed by the cluster
//      CA (pki/cluster_pki.h, apiserver-bundle.crt); the CA whose public key
//      has the pin H is taken, the apiserver's certificate must chain to it
//      and name the server's address, and nothing is sent before that, so
//      the token never reaches a server that cannot prove it holds the
//      pinned CA. (kubeadm reaches the same trust through the cluster-info
//      ConfigMap and a JWS signed with the token; minik8s has no
//      ConfigMaps.)
//   2. <data-dir>/pki/ca.crt and <data-dir>/kubeconfigs/bootstrap-kubelet.conf
//      (server, CA, token, and --grpc-server as client::kGrpcExtension, which
//      the kubelet's and the proxy's kubeconfigs keep) are written.
//   3. The node's service proxy gets its client certificate
//      (<data-dir>/pki/kube-proxy.crt, CN=system:kube-proxy, the user
//      Kubernetes binds to system:node-proxier) with a CSR for signer
//      kubernetes.io/kube-apiserver-client sent with the token, which the
//      controller-manager approves because `up` let the token's group ask
//      (kubeproxyclient, controllers/certificates/csr_approver.h) and
//      signs; <data-dir>/kubeconfigs/proxy.conf holds it. (k3s agents get
//      their kube-proxy certificate from the server with the node token;
//      kubeadm runs kube-proxy as a DaemonSet with a ServiceAccount, which
//      minik8s does not have.) A certificate from an earlier start is kept.
//   4. A runtime, a kubelet and the proxy for the node start and are
//      supervised in the foreground, as `up` does; the kubelet's TLS bootstrap
//      (kubelet/bootstrap.h) turns the token into its own client
//      certificate, and the node registers. Its serving certificate comes
//      the same way (signer kubernetes.io/kubelet-serving) once an admin
//      approves it; then the kubelet API starts.
#ifndef MINIK8S_CLUSTER_JOIN_H_
#define MINIK8S_CLUSTER_JOIN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "pki/certificate.h"

namespace minik8s::cluster {

inline constexpr char kDefaultNodeTokenGroup[] = "system:bootstrappers:minik8s:default-node-token";
inline constexpr char kDefaultNodeTokenDescription[] =
    "The default bootstrap token of minik8s up, for minik8s join.";
inline constexpr absl::Duration kDefaultTokenTtl = absl::Hours(24);

// The bootstrap token "<id>.<secret>" nodes join with: the default token's
// when it is still valid for more than an hour, else a new one. Also makes
// sure the four ClusterRoleBindings exist. `admin` must be allowed to.
absl::StatusOr<std::string> EnsureJoinToken(client::ApiClient* admin, absl::Time now);

// A new bootstrap token "<id>.<secret>" for joining nodes, valid `ttl`
// (zero: never expires), in the default group, with `description`.
absl::StatusOr<std::string> CreateJoinToken(client::ApiClient* admin, absl::Duration ttl,
                                            const std::string& description, absl::Time now);

// `minik8s token create|list|delete` on the cluster `up` runs from
// `data_dir`, as the admin (kubeadm token's commands): create prints a new
// token, or with `print_join_command` the whole join command; list prints
// kubeadm's table (TOKEN TTL EXPIRES USAGES DESCRIPTION EXTRA GROUPS);
// delete takes a token or its id. Returns the exit code.
struct TokenOptions {
  std::string data_dir;
  std::string verb;  // "create", "list", "delete"
  absl::Duration ttl = absl::Hours(24);
  std::string description;
  bool print_join_command = false;
  std::vector<std::string> tokens;  // delete
};
int Token(const TokenOptions& options);

// "minik8s join --server https://<address> [--grpc-server <grpc_server>]
// --token <token> --ca-cert-hash <pin>"; `grpc_server` is a URL ("" = none).
std::string JoinCommand(const std::string& apiserver_address, const std::string& token,
                        const std::string& ca_cert_hash, const std::string& grpc_server = "");

// Step 1 above: the cluster CA, learned from the apiserver at `host:port`
// and checked against `ca_cert_hash`. PermissionDenied when no presented
// certificate has the pin or the server's certificate does not chain to it
// or name `host`; Unavailable when the server cannot be reached.
absl::StatusOr<pki::Certificate> DiscoverClusterCa(const std::string& host, int port,
                                                   const std::string& ca_cert_hash,
                                                   absl::Duration timeout = absl::Seconds(10));

struct JoinOptions {
  std::string server;  // https://ADDR:PORT
  // The apiserver's own gRPC port, https://ADDR:PORT ("" = none: gRPC goes
  // to `server`), written into the node's kubeconfigs (client::kGrpcExtension).
  std::string grpc_server;
  std::string token;
  std::string ca_cert_hash;
  std::string node_name;
  // The node's address: its kubelet listens there and it is the Node's
  // InternalIP (a second loopback address, e.g. 127.0.0.2, on one machine).
  std::string node_ip = "127.0.0.1";
  std::string pod_cidr = "127.244.255.0/24";
  std::string data_dir;  // absolute
  std::string bin_dir;
  // The node's ports: runtime health base+0, kubelet health base+1, kubelet
  // API base+2 (on node_ip), proxy health base+3.
  int port_base = 10240;
  std::string log_level = "info";
  absl::Duration start_timeout = absl::Seconds(120);
  absl::Duration stop_timeout = absl::Seconds(10);
};

// Call BlockShutdownSignals() first. Returns the process exit code.
int Join(const JoinOptions& options);

}  // namespace minik8s::cluster

#endif  // MINIK8S_CLUSTER_JOIN_H_
