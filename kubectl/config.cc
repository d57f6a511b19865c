#include "kubectl/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "api/yaml_limits.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::kubectl {

absl::StatusOr<ClusterConfig> ParseConfigFile(const std::string& text) {
  absl::StatusOr<YAML::Node> parsed = api::LoadLimited(text);
  if (!parsed.ok()) return parsed.status();
  const YAML::Node root = *parsed;
  if (!root.IsMap()) return absl::InvalidArgumentError("expected a mapping with a `server` key");
  ClusterConfig config;
  const YAML::Node server = root["server"];
  if (!server || !server.IsScalar() || server.Scalar().empty()) {
    return absl::InvalidArgumentError("missing `server` (e.g. `server: 127.0.0.1:6443`)");
  }
  config.server = server.Scalar();
  const YAML::Node ns = root["namespace"];
  if (ns && ns.IsScalar()) config.namespace_ = ns.Scalar();
  return config;
}

absl::StatusOr<ClusterConfig> ResolveServer(const ServerEnvironment& env) {
  if (!env.server_flag.empty()) return ClusterConfig{env.server_flag, "", "--server"};
  if (env.env_server.has_value() && !env.env_server->empty()) {
    return ClusterConfig{*env.env_server, "", "MINIK8S_SERVER"};
  }
  std::string path;
  bool required = false;
  if (env.env_config.has_value() && !env.env_config->empty()) {
    path = *env.env_config;
    required = true;
  } else if (env.home.has_value() && !env.home->empty()) {
    path = absl::StrCat(*env.home, "/.minik8s/config");
  }
  if (!path.empty() && env.read_file) {
    absl::StatusOr<std::string> text = env.read_file(path);
    if (text.ok()) {
      absl::StatusOr<ClusterConfig> config = ParseConfigFile(*text);
      if (!config.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("error loading config file \"", path, "\": ", config.status().message()));
      }
      config->source = path;
      return config;
    }
    if (required || !absl::IsNotFound(text.status())) {
      return absl::InvalidArgumentError(
          absl::StrCat("error loading config file \"", path, "\": ", text.status().message()));
    }
  }
  return ClusterConfig{kDefaultServer, "", "default"};
}

ServerEnvironment ProcessEnvironment(const std::string& server_flag) {
  ServerEnvironment env;
  env.server_flag = server_flag;
  auto get = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  env.env_server = get("MINIK8S_SERVER");
  env.env_config = get("MINIK8S_CONFIG");
  env.home = get("HOME");
  env.read_file = [](const std::string& path) -> absl::StatusOr<std::string> {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError("open " + path + ": no such file or directory");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  return env;
}

std::string HostPort(const std::string& server) {
  absl::string_view s = server;
  if (!absl::ConsumePrefix(&s, "http://")) absl::ConsumePrefix(&s, "https://");
  absl::ConsumeSuffix(&s, "/");
  return std::string(s);
}

}  // namespace minik8s::kubectl
