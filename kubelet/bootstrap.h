// The kubelet's TLS bootstrap (kubelet --bootstrap-kubeconfig), as
// Kubernetes' kubelet does it when a node joins with a bootstrap token:
//
//   1. When --kubeconfig names a file whose client certificate loads, matches
//      its key and is valid for more than a minute, there is nothing to do.
//   2. Otherwise the kubelet keeps (or makes) an ECDSA key in
//      <cert-dir>/kubelet-client.key and asks for a certificate with a
//      certificates.k8s.io/v1 CertificateSigningRequest: subject
//      CN=system:node:<node>, O=system:nodes, signer
//      kubernetes.io/kube-apiserver-client-kubelet, usages digital signature
//      and client auth; sent with the bootstrap kubeconfig's token. The
//      CSR's name is derived from the key and the node name, so a kubelet
//      restarted while it waits finds its own request again.
//   3. It waits for the controller-manager to approve and sign it (or an
//      admin to: `mkctl certificate approve`), then writes
//      <cert-dir>/kubelet-client.crt and --kubeconfig (the bootstrap
//      kubeconfig's server and CA, that certificate and key), and runs on it.
//
// A denied or failed request is an error with the condition's reason and
// message; so is no answer within `timeout`.
#ifndef MINIK8S_KUBELET_BOOTSTRAP_H_
#define MINIK8S_KUBELET_BOOTSTRAP_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace minik8s::kubelet {

inline constexpr char kKubeletClientSigner[] = "kubernetes.io/kube-apiserver-client-kubelet";
inline constexpr char kKubeletServingSigner[] = "kubernetes.io/kubelet-serving";

struct BootstrapOptions {
  std::string kubeconfig;            // --kubeconfig: read when valid, else written
  std::string bootstrap_kubeconfig;  // --bootstrap-kubeconfig: server, CA and token
  std::string cert_dir;              // --cert-dir
  std::string node_name;
  absl::Duration timeout = absl::Minutes(15);
  absl::Duration poll_interval = absl::Milliseconds(500);
  // Checked between polls: true stops the wait (Cancelled).
  std::function<bool()> stopping = [] { return false; };
};

// The CSR object's name for `key_pem`'s public key and `node_name`:
// "node-csr-" and 43 characters of base64url SHA-256.
std::string BootstrapCsrName(const std::string& public_key_pem, const std::string& node_name);

// Steps 1-3 above. OK once --kubeconfig holds a usable client certificate.
absl::Status BootstrapClientCertificate(const BootstrapOptions& options);

struct ServingFiles {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // the CA of --kubeconfig: clients must chain to it
};

// The kubelet's serving certificate (--rotate-server-certificates, Kubernetes'
// serverTLSBootstrap): <cert-dir>/kubelet.crt when it still names `node_ip`,
// else a CertificateSigningRequest for signer kubernetes.io/kubelet-serving
// (CN=system:node:<node>, O=system:nodes, SANs the node name and `node_ip`,
// usages digital signature and server auth) sent with the node's own client
// certificate (--kubeconfig). Kubernetes approves no such request by itself:
// an admin does (`mkctl certificate approve`), then the controller-manager
// signs it. Waits for that as BootstrapClientCertificate does.
absl::StatusOr<ServingFiles> BootstrapServingCertificate(const BootstrapOptions& options,
                                                         const std::string& node_ip);

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_BOOTSTRAP_H_
