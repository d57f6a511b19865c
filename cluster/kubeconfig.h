// The kubeconfig `minik8s up` writes so that the real kubectl (and client-go,
// the Python client, ...) reach the cluster: one cluster, one user and one
// context, all named "minik8s", the current context. The apiserver serves
// Kubernetes' HTTP API in plaintext on the same host:port as its gRPC API,
// and asks for no credentials yet, so the user entry is empty.
//
// Default path ~/.minik8s/kubeconfig (main.cc): `up` never touches
// ~/.kube/config; users opt in with KUBECONFIG.
#ifndef MINIK8S_CLUSTER_KUBECONFIG_H_
#define MINIK8S_CLUSTER_KUBECONFIG_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "common/tls.h"

namespace minik8s::cluster {

// The name of the cluster, user and context entries.
inline constexpr char kKubeconfigEntryName[] = "minik8s";

// The kubeconfig text for an apiserver at `apiserver_address` (host:port):
// server http://<address>, or with `tls` https://<address>, the CA as
// certificate-authority and the user's client certificate and key (paths).
// `ns` (a DNS label, or "") becomes the context's namespace.
// `grpc_address` (host:port, or ""): the apiserver's own gRPC port, named in
// the cluster's client::kGrpcExtension with the same scheme.
std::string KubeconfigText(const std::string& apiserver_address, const std::string& ns = "",
                           const std::optional<TlsClientFiles>& tls = std::nullopt,
                           const std::string& grpc_address = "");

// Writes KubeconfigText to `path` atomically (a temp file in the same folder,
// fsync, rename), mode 0600. Missing parent folders are created with mode
// 0700; an existing folder keeps its mode.
//
// An existing file is replaced only when it holds nothing but minik8s
// entries (a file an earlier `up` wrote, possibly edited by `kubectl config`);
// the namespace set on its minik8s context is kept. A file with other
// clusters, users or contexts, or one that is not a kubeconfig, is left as it
// is: FailedPrecondition, so that `--kubeconfig ~/.kube/config` cannot wipe
// a user's other clusters.
absl::Status WriteKubeconfig(const std::string& path, const std::string& apiserver_address,
                             const std::optional<TlsClientFiles>& tls = std::nullopt,
                             const std::string& grpc_address = "");

// Creates `dir` and its missing parents with mode 0700.
absl::Status MakePrivateDirs(const std::string& dir);

}  // namespace minik8s::cluster

#endif  // MINIK8S_CLUSTER_KUBECONFIG_H_
