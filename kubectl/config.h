// Where mkctl finds the apiserver, in this order:
//   1. the --server flag;
//   2. the MINIK8S_SERVER environment variable;
//   3. the kubeconfig named by --kubeconfig: the server and namespace of its
//      current context (kubeconfig.h);
//   4. the config file named by MINIK8S_CONFIG, a small YAML mapping:
//          server: 127.0.0.1:6443
//          namespace: default      # optional, the default for -n
//   5. the kubeconfig named by $KUBECONFIG (its first path), as in 3;
//   6. ~/.minik8s/config (the mapping of 4, written by `minik8s up`);
//   7. ~/.minik8s/kubeconfig (also written by `minik8s up`), as in 3;
//   8. 127.0.0.1:6443.
// Files named by --kubeconfig or MINIK8S_CONFIG must exist; the others may
// be absent. A file that exists but cannot be parsed is an error naming it.
// A kubeconfig whose current context names no cluster server is skipped.
//
// Thread safety: pure functions (the environment is passed in).
#ifndef MINIK8S_KUBECTL_CONFIG_H_
#define MINIK8S_KUBECTL_CONFIG_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "client/kubeconfig.h"

namespace minik8s::kubectl {

inline constexpr char kDefaultServer[] = "127.0.0.1:6443";

struct ServerEnvironment {
  std::string server_flag;                    // "" = not given
  std::optional<std::string> env_server;      // $MINIK8S_SERVER
  std::optional<std::string> env_config;      // $MINIK8S_CONFIG
  std::optional<std::string> home;            // $HOME
  std::string kubeconfig_flag;                // --kubeconfig, "" = not given
  std::optional<std::string> env_kubeconfig;  // $KUBECONFIG
  // Reads a file: NotFound when it does not exist.
  std::function<absl::StatusOr<std::string>(const std::string& path)> read_file;
};

struct ClusterConfig {
  std::string server;                 // "127.0.0.1:6443"
  std::string namespace_;             // "" = not set
  std::string source;                 // "--server", "MINIK8S_SERVER", the file path, or "default"
  std::string context;                // the kubeconfig context used, "" when none
  std::string user;                   // the kubeconfig context's user, "" when none
  std::string token;                  // the kubeconfig context's user's bearer token, "" when none
  client::Impersonation impersonate;  // the user's as, as-groups, as-uid
  // The kubeconfig's CA and client certificate (client/kubeconfig.h), when
  // it gives any or its server is https://.
  std::optional<TlsClientFiles> tls;
  // The kubeconfig's gRPC port (client::kGrpcExtension), "" when none.
  std::string grpc_server;
};

absl::StatusOr<ClusterConfig> ResolveServer(const ServerEnvironment& env);

// Parses the config file text. InvalidArgument on bad YAML or a missing or
// non-string `server`.
absl::StatusOr<ClusterConfig> ParseConfigFile(const std::string& text);

// The process environment and the real file system.
// (`kubeconfig_flag` is --kubeconfig.)
ServerEnvironment ProcessEnvironment(const std::string& server_flag,
                                     const std::string& kubeconfig_flag = "");

// "http://127.0.0.1:6443/" → "127.0.0.1:6443" (for messages).
std::string HostPort(const std::string& server);

// The `get-contexts` table (names = only those; all when empty). NotFound
// `context x not found` for an unknown name, with the table so far in *out.
absl::Status GetContextsTable(const client::Kubeconfig& config,
                              const std::vector<std::string>& names, bool names_only,
                              std::string* out);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CONFIG_H_
