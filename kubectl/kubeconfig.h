// Kubeconfig files (the format kubectl reads; `minik8s up` writes one to
// ~/.minik8s/kubeconfig) for `mkctl config` and server discovery: clusters,
// users and contexts by name, the current context.
//
// Which file: `--kubeconfig`, else the first path of $KUBECONFIG, else
// ~/.minik8s/kubeconfig (KubeconfigPath). kubectl merges every file of
// $KUBECONFIG; mkctl reads and writes the first only.
//
// Thread safety: pure functions; Kubeconfig is a value.
#ifndef MINIK8S_KUBECTL_KUBECONFIG_H_
#define MINIK8S_KUBECTL_KUBECONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::kubectl {

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
  // The `token` of the named user, "" when absent.
  std::string UserToken(const std::string& user) const;

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

// `--kubeconfig`, else the first non-empty path of `kubeconfig_env`
// ($KUBECONFIG, `:`-separated), else `<home>/.minik8s/kubeconfig`; "" when
// none can be formed.
std::string KubeconfigPath(const std::string& flag, const std::optional<std::string>& env,
                           const std::optional<std::string>& home);

// The `get-contexts` table (names = only those; all when empty). NotFound
// `context x not found` for an unknown name, with the table so far in *out.
absl::Status GetContextsTable(const Kubeconfig& config, const std::vector<std::string>& names,
                              bool names_only, std::string* out);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_KUBECONFIG_H_
