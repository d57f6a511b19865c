// The cluster's PKI directory, made and kept up to date the way kubeadm's
// "certs" phase does it: EnsureClusterPki is idempotent and is called on
// every `minik8s up`.
//
// Layout under `dir` (e.g. <data-dir>/pki; the directory and kubelets/ are
// 0700, *.key files 0600, *.crt files 0644, all PEM):
//   ca.crt, ca.key                          cluster CA (CN=minik8s-ca, 10 years)
//   apiserver.crt, .key                     apiserver serving (CN=kube-apiserver)
//   apiserver-bundle.crt                    apiserver.crt then ca.crt (rewritten each call)
//   apiserver-etcd-client.crt, .key         apiserver -> store client
//                                           (CN=kube-apiserver-etcd-client)
//   apiserver-kubelet-client.crt, .key      apiserver -> kubelet client
//                                           (CN=kube-apiserver-kubelet-client, no group:
//                                           RBAC's system:kubelet-api-admin)
//   store-server.crt, .key                  store serving (CN=minik8s-store)
//   health-serving.crt, .key                the daemons' health endpoints
//                                           (--health-address) on loopback
//                                           (CN=minik8s-health)
//   admin.crt, .key                         CN=kubernetes-admin, O=system:masters
//   kube-scheduler.crt, .key                CN=system:kube-scheduler
//   kube-controller-manager.crt, .key       CN=system:kube-controller-manager
//   kubelets/<node>/kubelet.crt, .key       kubelet serving
//                                           (CN=system:node:<node>, O=system:nodes)
//   kubelets/<node>/kubelet-client.crt, .key kubelet client
//                                           (CN=system:node:<node>, O=system:nodes)
//   sa.key, sa.pub                          ServiceAccount token signing key and its
//                                           public key, kubeadm's names: a new
//                                           cluster's is ECDSA P-256 (ES256 tokens);
//                                           an existing RSA sa.key is kept (RS256)
// Leaf certificates are valid 1 year; profiles are described in issue.h.
//
// On each call: what is missing is created; what exists is loaded and checked
// (parses, the key matches the certificate, it chains to ca.crt and has not
// expired, its subject and usage are the expected ones). A failed check is an
// error naming the file, and nothing is overwritten (except
// apiserver-kubelet-client.crt with an older cluster's O=system:masters,
// re-issued for its key without the group). Serving certificates
// whose SANs no longer cover the requested ones are re-issued (same key).
// Recoverable holes are filled: a missing certificate is issued for its
// existing key (for ca.crt: a new self-signed certificate for ca.key, under
// which the existing leaves still verify); a missing key gets a new key and a
// new certificate. A missing ca.key with ca.crt present is an error: the CA
// cannot be recovered; remove the directory to start a new cluster CA.
//
// Concurrent calls on the same directory (two processes) are serialized by
// an flock on <dir>/.lock.
#ifndef MINIK8S_PKI_CLUSTER_PKI_H_
#define MINIK8S_PKI_CLUSTER_PKI_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace minik8s::pki {

// A kubelet to make certificates for.
struct NodeCertOptions {
  // The node name: a DNS-1123 subdomain ("node-1"); also a DNS SAN.
  std::string name;
  // Extra SANs for the kubelet serving cert, on top of <name>, localhost,
  // 127.0.0.1 and ::1.
  std::vector<std::string> ip_addresses;
  std::vector<std::string> dns_names;
};

struct ClusterPkiOptions {
  // Extra apiserver SANs, on top of 127.0.0.1, ::1, localhost, kubernetes,
  // kubernetes.default, kubernetes.default.svc and
  // kubernetes.default.svc.<cluster_domain>: e.g. the advertise address and
  // the `kubernetes` Service's cluster IP.
  std::vector<std::string> apiserver_ip_addresses;
  std::vector<std::string> apiserver_dns_names;
  // Extra store SANs, on top of 127.0.0.1, ::1 and localhost.
  std::vector<std::string> store_ip_addresses;
  std::vector<std::string> store_dns_names;
  std::string cluster_domain = "cluster.local";
  std::vector<NodeCertOptions> nodes;
};

// Paths of one certificate and its private key.
struct CertKeyPaths {
  std::string cert;
  std::string key;
};

struct KubeletPkiPaths {
  CertKeyPaths serving;  // kubelet's HTTPS listener
  CertKeyPaths client;   // kubelet -> apiserver
};

struct ClusterPkiPaths {
  std::string dir;
  CertKeyPaths ca;
  CertKeyPaths apiserver;  // serving
  // apiserver.crt followed by ca.crt: what the apiserver presents, so that
  // a joining node learns the CA from the handshake and pins it by
  // `--ca-cert-hash` before it trusts it (see cluster/join.h).
  std::string apiserver_bundle;
  CertKeyPaths apiserver_etcd_client;     // apiserver -> store
  CertKeyPaths apiserver_kubelet_client;  // apiserver -> kubelets
  CertKeyPaths store;                     // store serving
  CertKeyPaths health;                    // every daemon's health endpoint
  CertKeyPaths admin;
  CertKeyPaths scheduler;
  CertKeyPaths controller_manager;
  CertKeyPaths kube_proxy;                          // every node's minik8s-proxy
  std::map<std::string, KubeletPkiPaths> kubelets;  // by node name
  // The ServiceAccount token key pair, as kubeadm names it: the apiserver
  // signs tokens with sa.key (--service-account-signing-key-file) and
  // verifies them with sa.pub (--service-account-key-file).
  std::string service_account_key;         // sa.key, PKCS#8, 0600
  std::string service_account_public_key;  // sa.pub, SubjectPublicKeyInfo, 0644
  // The CA pin for `minik8s join --ca-cert-hash` (see pin.h). Empty from
  // ClusterPkiLayout.
  std::string ca_cert_hash;
  // Files EnsureClusterPki created or replaced in this call (empty when
  // nothing changed).
  std::vector<std::string> written;
};

// Creates or checks the PKI under `dir` (see the top of this file). Errors:
// InvalidArgument for bad options (a node name that is not a DNS-1123
// subdomain, a malformed IP or DNS name, a duplicate node); otherwise the
// error names the file that is wrong.
absl::StatusOr<ClusterPkiPaths> EnsureClusterPki(const std::string& dir,
                                                 const ClusterPkiOptions& options);

// The paths EnsureClusterPki uses for `dir` and these nodes, without touching
// the disk (for a component that is only handed the directory).
ClusterPkiPaths ClusterPkiLayout(const std::string& dir, const std::vector<std::string>& nodes);

// True when `name` is a DNS-1123 subdomain (lower-case alphanumerics, '-' and
// '.', at most 253 characters, each label starting and ending alphanumeric).
bool IsDns1123Subdomain(const std::string& name);

}  // namespace minik8s::pki

#endif  // MINIK8S_PKI_CLUSTER_PKI_H_
