#include "kubectl/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "api/yaml_limits.h"
#include "client/kubeconfig.h"
#include "kubectl/printers/table.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::kubectl {

using client::Kubeconfig;
using client::KubeconfigPath;
using client::KubeContext;

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
  // `minik8s up --apiserver-tls` adds the CA and the client certificate.
  TlsClientFiles tls;
  bool any = false;
  for (auto [key, field] :
       {std::pair{"certificate-authority", &tls.ca_file},
        std::pair{"client-certificate", &tls.cert_file}, std::pair{"client-key", &tls.key_file}}) {
    const YAML::Node v = root[key];
    if (v && v.IsScalar() && !v.Scalar().empty()) {
      *field = v.Scalar();
      any = true;
    }
  }
  if (any || absl::StartsWith(config.server, "https://")) config.tls = tls;
  return config;
}

namespace {

// The server of a kubeconfig's current context; nullopt when the file is
// absent (and not `required`) or names no server.
absl::StatusOr<std::optional<ClusterConfig>> FromKubeconfig(const ServerEnvironment& env,
                                                            const std::string& path,
                                                            bool required) {
  if (path.empty() || !env.read_file) return std::optional<ClusterConfig>();
  absl::StatusOr<std::string> text = env.read_file(path);
  if (!text.ok()) {
    if (required || !absl::IsNotFound(text.status())) {
      return absl::InvalidArgumentError(
          absl::StrCat("error loading config file \"", path, "\": ", text.status().message()));
    }
    return std::optional<ClusterConfig>();
  }
  absl::StatusOr<Kubeconfig> kc = Kubeconfig::Parse(*text);
  if (!kc.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error loading config file \"", path, "\": ", kc.status().message()));
  }
  const KubeContext* context = kc->FindContext(kc->current_context());
  if (context == nullptr) return std::optional<ClusterConfig>();
  const std::string server = kc->ClusterServer(context->cluster);
  if (server.empty()) return std::optional<ClusterConfig>();
  ClusterConfig config;
  config.server = server;
  config.namespace_ = context->namespace_;
  config.source = path;
  config.context = context->name;
  config.token = kc->UserToken(context->user);
  config.user = context->user;
  absl::StatusOr<client::ApiClientOptions> connection =
      client::ApiClientOptionsFromKubeconfig(*kc, path);
  if (!connection.ok()) return connection.status();
  config.tls = connection->tls;
  config.grpc_server = connection->grpc_server;
  config.impersonate = connection->impersonate;
  return std::optional<ClusterConfig>(config);
}

// The minik8s config file at `path` (absent: nullopt unless `required`).
absl::StatusOr<std::optional<ClusterConfig>> FromConfigFile(const ServerEnvironment& env,
                                                            const std::string& path,
                                                            bool required) {
  if (path.empty() || !env.read_file) return std::optional<ClusterConfig>();
  absl::StatusOr<std::string> text = env.read_file(path);
  if (text.ok()) {
    absl::StatusOr<ClusterConfig> config = ParseConfigFile(*text);
    if (!config.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("error loading config file \"", path, "\": ", config.status().message()));
    }
    config->source = path;
    return std::optional<ClusterConfig>(*config);
  }
  if (required || !absl::IsNotFound(text.status())) {
    return absl::InvalidArgumentError(
        absl::StrCat("error loading config file \"", path, "\": ", text.status().message()));
  }
  return std::optional<ClusterConfig>();
}

}  // namespace

absl::StatusOr<ClusterConfig> ResolveServer(const ServerEnvironment& env) {
  if (!env.server_flag.empty()) return ClusterConfig{env.server_flag, "", "--server", ""};
  if (env.env_server.has_value() && !env.env_server->empty()) {
    return ClusterConfig{*env.env_server, "", "MINIK8S_SERVER", ""};
  }
  const std::string home = env.home.has_value() && !env.home->empty() ? *env.home : std::string();
  // In order: (kind, path, required).
  struct Source {
    bool kubeconfig;
    std::string path;
    bool required;
  };
  std::vector<Source> sources;
  if (!env.kubeconfig_flag.empty()) sources.push_back({true, env.kubeconfig_flag, true});
  if (env.env_config.has_value() && !env.env_config->empty()) {
    sources.push_back({false, *env.env_config, true});
  }
  if (env.env_kubeconfig.has_value()) {
    const std::string path = KubeconfigPath("", env.env_kubeconfig, std::nullopt);
    if (!path.empty()) sources.push_back({true, path, false});
  }
  if (!home.empty()) {
    sources.push_back({false, absl::StrCat(home, "/.minik8s/config"), false});
    sources.push_back({true, absl::StrCat(home, "/.minik8s/kubeconfig"), false});
  }
  for (const Source& s : sources) {
    absl::StatusOr<std::optional<ClusterConfig>> config =
        s.kubeconfig ? FromKubeconfig(env, s.path, s.required)
                     : FromConfigFile(env, s.path, s.required);
    if (!config.ok()) return config.status();
    if (config->has_value()) return **config;
  }
  return ClusterConfig{kDefaultServer, "", "default", ""};
}

ServerEnvironment ProcessEnvironment(const std::string& server_flag,
                                     const std::string& kubeconfig_flag) {
  ServerEnvironment env;
  env.server_flag = server_flag;
  env.kubeconfig_flag = kubeconfig_flag;
  auto get = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  env.env_server = get("MINIK8S_SERVER");
  env.env_config = get("MINIK8S_CONFIG");
  env.home = get("HOME");
  env.env_kubeconfig = get("KUBECONFIG");
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

absl::Status GetContextsTable(const client::Kubeconfig& config,
                              const std::vector<std::string>& names, bool names_only,
                              std::string* out) {
  std::vector<const KubeContext*> selected;
  absl::Status missing;
  if (names.empty()) {
    for (const KubeContext& c : config.contexts()) selected.push_back(&c);
  } else {
    for (const std::string& n : names) {
      const KubeContext* c = config.FindContext(n);
      if (c == nullptr) {
        if (missing.ok()) missing = absl::NotFoundError(absl::StrCat("context ", n, " not found"));
        continue;
      }
      selected.push_back(c);
    }
  }
  if (names_only) {
    for (const KubeContext* c : selected) absl::StrAppend(out, c->name, "\n");
    return missing;
  }
  Table table;
  table.headers = {"CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"};
  for (const KubeContext* c : selected) {
    table.rows.push_back({c->name == config.current_context() ? "*" : "", c->name, c->cluster,
                          c->user, c->namespace_});
  }
  absl::StrAppend(out, RenderTable(table, false));
  return missing;
}

}  // namespace minik8s::kubectl
