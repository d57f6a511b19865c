// Kubeconfig files (the format kubectl reads; `minik8s up` writes one to
// ~/.minik8s/kubeconfig) for `mkctl config` and server discovery: clusters,
// users and contexts by name, the current context.
//
// Which file: `--kubeconfig`, else the first path of $KUBECONFIG, else
// ~/.minik8s/kubeconfig (KubeconfigPath). kubectl merges every file of
// $KUBECONFIG; mkctl reads and writes the first only.
//
// Thread safety: pure functions; Kubeconfig is a value.
#ifndef MINIK8S_CLIENT_KUBECONFIG_H_
#define MINIK8S_CLIENT_KUBECONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/api_client.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::client {

// The name of the cluster extension that carries ApiClientOptions::grpc_server:
//   extensions:
//   - name: minik8s.io/grpc
//     extension:
//       server: https://127.0.0.1:6445
inline constexpr char kGrpcExtension[] = "minik8s.io/grpc";

struct KubeContext {
  std::string name;
  std::string cluster;
  std::string user;
  std::string namespace_;
};

class Kubeconfig {
 public:
  // Parses kubeconfig text; InvalidArgument on YAML that is not a mapping or
  // entries of the wrong shape. Empty text is an empty config.
  static absl::StatusOr<Kubeconfig> Parse(const std::string& text);

  const std::string& current_context() const { return current_context_; }
  const std::vector<KubeContext>& contexts() const { return contexts_; }
  const KubeContext* FindContext(const std::string& name) const;
  // The `server` of the named cluster, "" when absent.
  std::string ClusterServer(const std::string& cluster) const;
  // The apiserver's own gRPC port of the named cluster, as `up` writes it:
  // the `server` of the cluster's extension named kGrpcExtension; "" when
  // absent. Tools other than minik8s's keep the extension and ignore it.
  std::string ClusterGrpcServer(const std::string& cluster) const;
  // The `token` of the named user, "" when absent.
  std::string UserToken(const std::string& user) const;
  // The named user's `as`, `as-groups` and `as-uid` (kubectl's
  // impersonation fields); empty when absent.
  Impersonation UserImpersonation(const std::string& user) const;
  // A scalar field of the named cluster's or user's body
  // ("certificate-authority", "client-key-data", ...), "" when absent.
  std::string ClusterField(const std::string& cluster, const char* field) const;
  std::string UserField(const std::string& user, const char* field) const;

  // Sets current-context (the caller checks the context exists).
  void SetCurrentContext(const std::string& name);

  // The YAML kubectl's `config view` prints: apiVersion, clusters, contexts,
  // current-context, kind, preferences, users (in that order, absent lists
  // as `null`; `minify` keeps only the current context and what it names).
  // `redact`: as kubectl without --raw, users' `token` and `password` read
  // REDACTED and certificate and key data DATA+OMITTED.
  std::string View(bool minify, bool redact = false) const;

 private:
  YAML::Node root_;
  std::string current_context_;
  std::vector<KubeContext> contexts_;
};

// One cluster, one user and one context, all named `name`, the current
// context: what `minik8s up` and `minik8s join` write for kubectl and the
// components.
struct KubeconfigSpec {
  std::string name = "minik8s";
  // Lines put first, each already starting with "# " ("" = none).
  std::string comment;
  std::string server;                 // a URL: "https://127.0.0.1:6443"
  std::string grpc_server;            // a URL, as the kGrpcExtension ("" = none)
  std::string certificate_authority;  // file path ("" = none)
  std::string context_namespace;      // "" = none
  // The user: client-certificate and client-key (paths), and/or a token.
  std::string client_certificate;
  std::string client_key;
  std::string token;
};
std::string KubeconfigText(const KubeconfigSpec& spec);

// `--kubeconfig`, else the first non-empty path of `kubeconfig_env`
// ($KUBECONFIG, `:`-separated), else `<home>/.minik8s/kubeconfig`; "" when
// none can be formed.
std::string KubeconfigPath(const std::string& flag, const std::optional<std::string>& env,
                           const std::optional<std::string>& home);

// How to reach the apiserver, as a kubeconfig's current context says:
// the cluster's server and CA (certificate-authority, or
// certificate-authority-data in base64), the user's client certificate and
// key (client-certificate/client-key, or their -data forms), token and
// impersonation (as, as-groups, as-uid).
// Relative paths are relative to the kubeconfig's folder, as kubectl reads
// them. An https:// server, a CA or a client certificate turn TLS on.
// InvalidArgument naming the file for a file that cannot be read or
// parsed, a current context that is missing or names no server, or bad
// base64.
absl::StatusOr<ApiClientOptions> ApiClientOptionsFromKubeconfig(const std::string& path);
// The same for a kubeconfig already read from `path`.
absl::StatusOr<ApiClientOptions> ApiClientOptionsFromKubeconfig(const Kubeconfig& config,
                                                                const std::string& path);

// A component's connection (the scheduler's, the controller-manager's, a
// kubelet's, a proxy's): its --kubeconfig ("" = none) as above, with
// `server` (its --server; "" = the kubeconfig's) overriding the server;
// without a kubeconfig, plaintext to `server`.
absl::StatusOr<ApiClientOptions> ComponentApiClientOptions(const std::string& server,
                                                           const std::string& kubeconfig,
                                                           const std::string& user_agent);

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_KUBECONFIG_H_
