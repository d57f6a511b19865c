#include "client/kubeconfig.h"

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/yaml_limits.h"

namespace minik8s::client {
namespace {

std::string ScalarAt(const YAML::Node& map, const char* key) {
  if (!map.IsDefined() || !map.IsMap()) return "";
  const YAML::Node v = map[key];
  return v.IsDefined() && v.IsScalar() ? v.Scalar() : "";
}

// The named entry of a list (`clusters`, `contexts`, `users`), or undefined.
YAML::Node Entry(const YAML::Node& root, const char* list, const std::string& name) {
  const YAML::Node entries = root[list];
  if (entries.IsDefined() && entries.IsSequence()) {
    for (const YAML::Node& e : entries) {
      if (ScalarAt(e, "name") == name) return e;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

// A scalar as YAML text: plain when it reads back as the same string,
// else double-quoted.
std::string ScalarYaml(const std::string& v) {
  bool quote = v.empty() || v.front() == ' ' || v.back() == ' ' ||
               v.find(": ") != std::string::npos || v.find(" #") != std::string::npos ||
               std::string("-?:,[]{}#&*!|>'\"%@`").find(v.front()) != std::string::npos ||
               v == "true" || v == "false" || v == "null" || v == "~" || v.back() == ':';
  if (!quote) {
    double d;
    quote = absl::SimpleAtod(v, &d);
  }
  for (char c : v) {
    if (c == '\n' || c == '\t' || static_cast<unsigned char>(c) < 0x20) quote = true;
  }
  if (!quote) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

void AppendValue(const YAML::Node& v, int indent, std::string* out);

// A block mapping at `indent`; `inline_first`: the first key follows a
// sequence's "- " already written.
void AppendMap(const YAML::Node& map, int indent, bool inline_first, std::string* out) {
  bool first = true;
  for (const auto& kv : map) {
    if (!(first && inline_first)) out->append(indent, ' ');
    first = false;
    absl::StrAppend(out, ScalarYaml(kv.first.Scalar()), ":");
    AppendValue(kv.second, indent, out);
  }
}

// The value after `key:` (a key at `indent`).
void AppendValue(const YAML::Node& v, int indent, std::string* out) {
  if (!v.IsDefined() || v.IsNull()) {
    absl::StrAppend(out, " null\n");
  } else if (v.IsScalar()) {
    absl::StrAppend(out, " ", ScalarYaml(v.Scalar()), "\n");
  } else if (v.IsMap()) {
    if (v.size() == 0) {
      absl::StrAppend(out, " {}\n");
      return;
    }
    absl::StrAppend(out, "\n");
    AppendMap(v, indent + 2, false, out);
  } else {
    if (v.size() == 0) {
      absl::StrAppend(out, " []\n");
      return;
    }
    absl::StrAppend(out, "\n");
    for (const YAML::Node& item : v) {
      out->append(indent, ' ');
      out->append("- ");
      if (item.IsMap() && item.size() > 0) {
        AppendMap(item, indent + 2, true, out);
      } else if (item.IsScalar()) {
        absl::StrAppend(out, ScalarYaml(item.Scalar()), "\n");
      } else {
        absl::StrAppend(out, item.IsMap() ? "{}" : (item.IsSequence() ? "[]" : "null"), "\n");
      }
    }
  }
}

}  // namespace

absl::StatusOr<Kubeconfig> Kubeconfig::Parse(const std::string& text) {
  absl::StatusOr<YAML::Node> parsed = api::LoadLimited(text);
  if (!parsed.ok()) return parsed.status();
  Kubeconfig config;
  try {
    config.root_ = YAML::Clone(*parsed);
    if (config.root_.IsNull() || !config.root_.IsDefined()) {
      config.root_ = YAML::Node(YAML::NodeType::Map);
    }
    if (!config.root_.IsMap()) {
      return absl::InvalidArgumentError("a kubeconfig is a mapping (kind: Config)");
    }
    config.current_context_ = ScalarAt(config.root_, "current-context");
    for (const char* list : {"clusters", "contexts", "users"}) {
      const YAML::Node entries = config.root_[list];
      if (entries.IsDefined() && !entries.IsNull() && !entries.IsSequence()) {
        return absl::InvalidArgumentError(absl::StrCat("`", list, "` must be a list"));
      }
    }
    const YAML::Node contexts = config.root_["contexts"];
    if (contexts.IsDefined() && contexts.IsSequence()) {
      for (const YAML::Node& e : contexts) {
        if (!e.IsMap()) return absl::InvalidArgumentError("a context entry must be a mapping");
        KubeContext c;
        c.name = ScalarAt(e, "name");
        const YAML::Node body = e["context"];
        c.cluster = ScalarAt(body, "cluster");
        c.user = ScalarAt(body, "user");
        c.namespace_ = ScalarAt(body, "namespace");
        config.contexts_.push_back(std::move(c));
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
  return config;
}

const KubeContext* Kubeconfig::FindContext(const std::string& name) const {
  for (const KubeContext& c : contexts_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string Kubeconfig::ClusterServer(const std::string& cluster) const {
  const YAML::Node e = Entry(root_, "clusters", cluster);
  return e.IsDefined() ? ScalarAt(e["cluster"], "server") : "";
}

std::string Kubeconfig::ClusterGrpcServer(const std::string& cluster) const {
  const YAML::Node e = Entry(root_, "clusters", cluster);
  if (!e.IsDefined() || !e["cluster"].IsMap()) return "";
  const YAML::Node extension = Entry(e["cluster"], "extensions", kGrpcExtension);
  return extension.IsDefined() ? ScalarAt(extension["extension"], "server") : "";
}

std::string Kubeconfig::UserToken(const std::string& user) const {
  if (user.empty()) return "";
  const YAML::Node e = Entry(root_, "users", user);
  return e.IsDefined() ? ScalarAt(e["user"], "token") : "";
}

Impersonation Kubeconfig::UserImpersonation(const std::string& user) const {
  Impersonation out;
  if (user.empty()) return out;
  const YAML::Node e = Entry(root_, "users", user);
  if (!e.IsDefined() || !e["user"].IsMap()) return out;
  const YAML::Node body = e["user"];
  out.user = ScalarAt(body, "as");
  out.uid = ScalarAt(body, "as-uid");
  const YAML::Node groups = body["as-groups"];
  if (groups.IsDefined() && groups.IsSequence()) {
    for (const YAML::Node& group : groups) {
      if (group.IsScalar()) out.groups.push_back(group.Scalar());
    }
  }
  return out;
}

std::string Kubeconfig::ClusterField(const std::string& cluster, const char* field) const {
  const YAML::Node e = Entry(root_, "clusters", cluster);
  return e.IsDefined() ? ScalarAt(e["cluster"], field) : "";
}

std::string Kubeconfig::UserField(const std::string& user, const char* field) const {
  if (user.empty()) return "";
  const YAML::Node e = Entry(root_, "users", user);
  return e.IsDefined() ? ScalarAt(e["user"], field) : "";
}

void Kubeconfig::SetCurrentContext(const std::string& name) {
  current_context_ = name;
  root_["current-context"] = name;
}

std::string Kubeconfig::View(bool minify, bool redact) const {
  YAML::Node out(YAML::NodeType::Map);
  // Replaces the listed keys of each entry's `inner` map, on a copy.
  auto redacted = [&](const YAML::Node& entries, const char* inner,
                      std::initializer_list<std::pair<const char*, const char*>> keys) {
    if (!redact) return entries;
    YAML::Node copy = YAML::Clone(entries);
    for (YAML::Node e : copy) {
      if (!e.IsMap() || !e[inner].IsDefined() || !e[inner].IsMap()) continue;
      YAML::Node m = e[inner];
      for (const auto& [key, value] : keys) {
        if (m[key].IsDefined()) m[key] = value;
      }
    }
    return copy;
  };
  out["apiVersion"] = root_["apiVersion"].IsDefined() ? root_["apiVersion"] : YAML::Node("v1");
  auto list = [&](const char* name, const std::string& only) {
    YAML::Node entries = root_[name];
    if (std::string(name) == "users" && entries.IsDefined() && entries.IsSequence()) {
      entries = redacted(entries, "user",
                         {{"token", "REDACTED"},
                          {"password", "REDACTED"},
                          {"client-certificate-data", "DATA+OMITTED"},
                          {"client-key-data", "DATA+OMITTED"}});
    } else if (std::string(name) == "clusters" && entries.IsDefined() && entries.IsSequence()) {
      entries = redacted(entries, "cluster", {{"certificate-authority-data", "DATA+OMITTED"}});
    }
    if (!entries.IsDefined() || !entries.IsSequence() || entries.size() == 0) {
      out[name] = YAML::Node(YAML::NodeType::Null);
      return;
    }
    if (!minify) {
      out[name] = entries;
      return;
    }
    YAML::Node kept(YAML::NodeType::Sequence);
    for (const YAML::Node& e : entries) {
      if (ScalarAt(e, "name") == only) kept.push_back(e);
    }
    out[name] = kept.size() > 0 ? kept : YAML::Node(YAML::NodeType::Null);
  };
  const KubeContext* current = FindContext(current_context_);
  list("clusters", current != nullptr ? current->cluster : "");
  list("contexts", current_context_);
  out["current-context"] = current_context_;
  out["kind"] = "Config";
  out["preferences"] = root_["preferences"].IsDefined() && root_["preferences"].IsMap()
                           ? root_["preferences"]
                           : YAML::Node(YAML::NodeType::Map);
  list("users", current != nullptr ? current->user : "");
  std::string text;
  AppendMap(out, 0, false, &text);
  return text;
}

std::string KubeconfigPath(const std::string& flag, const std::optional<std::string>& env,
                           const std::optional<std::string>& home) {
  if (!flag.empty()) return flag;
  if (env.has_value()) {
    for (absl::string_view p : absl::StrSplit(*env, ':')) {
      if (!p.empty()) return std::string(p);
    }
  }
  if (home.has_value() && !home->empty()) return absl::StrCat(*home, "/.minik8s/kubeconfig");
  return "";
}

absl::StatusOr<ApiClientOptions> ApiClientOptionsFromKubeconfig(const std::string& path) {
  auto fail = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", path, ": ", why));
  };
  std::ifstream in(path);
  if (!in) return fail("cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Kubeconfig> config = Kubeconfig::Parse(text.str());
  if (!config.ok()) return fail(config.status().message());
  return ApiClientOptionsFromKubeconfig(*config, path);
}

absl::StatusOr<ApiClientOptions> ApiClientOptionsFromKubeconfig(const Kubeconfig& kubeconfig,
                                                                const std::string& path) {
  auto fail = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", path, ": ", why));
  };
  const Kubeconfig* config = &kubeconfig;
  const KubeContext* context = config->FindContext(config->current_context());
  if (context == nullptr) {
    return fail(
        absl::StrCat("the current context \"", config->current_context(), "\" is not defined"));
  }
  ApiClientOptions options;
  options.server = config->ClusterServer(context->cluster);
  if (options.server.empty()) {
    return fail(absl::StrCat("cluster \"", context->cluster, "\" has no server"));
  }
  options.grpc_server = config->ClusterGrpcServer(context->cluster);
  options.bearer_token = config->UserToken(context->user);
  options.impersonate = config->UserImpersonation(context->user);
  const std::string folder = path.find('/') == std::string::npos
                                 ? std::string(".")
                                 : path.substr(0, path.rfind('/') == 0 ? 1 : path.rfind('/'));
  auto resolve = [&](const std::string& file) {
    return file.empty() || file.front() == '/' ? file : absl::StrCat(folder, "/", file);
  };
  TlsClientFiles tls;
  // A path, or base64 PEM data, for each of the three.
  struct Source {
    std::string file, data;
    const char* name;
    std::string* path_out;
    std::string* pem_out;
  };
  Source sources[] = {
      {config->ClusterField(context->cluster, "certificate-authority"),
       config->ClusterField(context->cluster, "certificate-authority-data"),
       "certificate-authority-data", &tls.ca_file, &tls.ca_pem},
      {config->UserField(context->user, "client-certificate"),
       config->UserField(context->user, "client-certificate-data"), "client-certificate-data",
       &tls.cert_file, &tls.cert_pem},
      {config->UserField(context->user, "client-key"),
       config->UserField(context->user, "client-key-data"), "client-key-data", &tls.key_file,
       &tls.key_pem},
  };
  bool any = false;
  for (Source& s : sources) {
    if (!s.data.empty()) {
      if (!absl::Base64Unescape(s.data, s.pem_out)) {
        return fail(absl::StrCat(s.name, " is not base64"));
      }
      any = true;
    } else if (!s.file.empty()) {
      *s.path_out = resolve(s.file);
      any = true;
    }
  }
  if (any || absl::StartsWith(options.server, "https://")) options.tls = std::move(tls);
  return options;
}

std::string KubeconfigText(const KubeconfigSpec& spec) {
  const std::string& name = spec.name;
  std::string out = spec.comment;
  absl::StrAppend(&out, "apiVersion: v1\nclusters:\n- cluster:\n");
  if (!spec.certificate_authority.empty()) {
    absl::StrAppend(&out, "    certificate-authority: ", spec.certificate_authority, "\n");
  }
  if (!spec.grpc_server.empty()) {
    absl::StrAppend(&out, "    extensions:\n    - extension:\n        server: ", spec.grpc_server,
                    "\n      name: ", kGrpcExtension, "\n");
  }
  absl::StrAppend(&out, "    server: ", spec.server, "\n  name: ", name,
                  "\ncontexts:\n- context:\n    cluster: ", name, "\n");
  if (!spec.context_namespace.empty()) {
    absl::StrAppend(&out, "    namespace: ", spec.context_namespace, "\n");
  }
  absl::StrAppend(&out, "    user: ", name, "\n  name: ", name, "\ncurrent-context: ", name,
                  "\nkind: Config\npreferences: {}\nusers:\n- name: ", name, "\n");
  if (spec.client_certificate.empty() && spec.token.empty()) {
    absl::StrAppend(&out, "  user: {}\n");
    return out;
  }
  absl::StrAppend(&out, "  user:\n");
  if (!spec.client_certificate.empty()) {
    absl::StrAppend(&out, "    client-certificate: ", spec.client_certificate,
                    "\n    client-key: ", spec.client_key, "\n");
  }
  if (!spec.token.empty()) absl::StrAppend(&out, "    token: ", spec.token, "\n");
  return out;
}

absl::StatusOr<ApiClientOptions> ComponentApiClientOptions(const std::string& server,
                                                           const std::string& kubeconfig,
                                                           const std::string& user_agent) {
  ApiClientOptions options;
  if (!kubeconfig.empty()) {
    absl::StatusOr<ApiClientOptions> loaded = ApiClientOptionsFromKubeconfig(kubeconfig);
    if (!loaded.ok()) return loaded.status();
    options = *std::move(loaded);
  }
  if (!server.empty()) {
    // A server named on the command line is the one to reach, whatever
    // gRPC port the kubeconfig names for its own.
    options.server = server;
    options.grpc_server.clear();
  }
  options.user_agent = user_agent;
  return options;
}

}  // namespace minik8s::client
