// Where mkctl finds the apiserver, in this order:
//   1. the --server flag;
//   2. the MINIK8S_SERVER environment variable;
//   3. the config file named by MINIK8S_CONFIG, else ~/.minik8s/config
//      (written by the local-cluster launcher), a small YAML mapping:
//          server: 127.0.0.1:6443
//          namespace: default      # optional, the default for -n
//   4. 127.0.0.1:6443.
// A config file named by MINIK8S_CONFIG must exist; the default one may be
// absent. A file that exists but cannot be parsed is an error naming it.
//
// Thread safety: pure functions (the environment is passed in).
#ifndef MINIK8S_KUBECTL_CONFIG_H_
#define MINIK8S_KUBECTL_CONFIG_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace minik8s::kubectl {

inline constexpr char kDefaultServer[] = "127.0.0.1:6443";

struct ServerEnvironment {
  std::string server_flag;                // "" = not given
  std::optional<std::string> env_server;  // $MINIK8S_SERVER
  std::optional<std::string> env_config;  // $MINIK8S_CONFIG
  std::optional<std::string> home;        // $HOME
  // Reads a file: NotFound when it does not exist.
  std::function<absl::StatusOr<std::string>(const std::string& path)> read_file;
};

struct ClusterConfig {
  std::string server;      // "127.0.0.1:6443"
  std::string namespace_;  // "" = not set
  std::string source;      // "--server", "MINIK8S_SERVER", the file path, or "default"
};

absl::StatusOr<ClusterConfig> ResolveServer(const ServerEnvironment& env);

// Parses the config file text. InvalidArgument on bad YAML or a missing or
// non-string `server`.
absl::StatusOr<ClusterConfig> ParseConfigFile(const std::string& text);

// The process environment and the real file system.
ServerEnvironment ProcessEnvironment(const std::string& server_flag);

// "http://127.0.0.1:6443/" → "127.0.0.1:6443" (for messages).
std::string HostPort(const std::string& server);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CONFIG_H_
