// The admission plugins of --enable-admission-plugins (kube-apiserver's
// flag, a comma-separated list of plugin names) and the Chain they make.
//
// Plugins minik8s has: NodeRestriction (noderestriction/node_restriction.h),
// enabled by the list. Always on, accepted and ignored in the list:
// NamespaceLifecycle, ServiceAccount, DefaultTolerationSeconds, Priority
// (what minik8s does of them: handler.h, registry/admission.h), and
// CertificateApproval, CertificateSigning, CertificateSubjectRestriction
// (certificates/certificates.h), which every chain holds, after the enabled
// ones, as kube-apiserver enables them by default; and RBAC's escalation
// check (rbac/escalation.h), which Kubernetes makes in RBAC's storage, not
// as a plugin, and which no flag turns off. Any other name, a
// Kubernetes plugin minik8s lacks included, is an error naming the
// supported ones, so a command line is never silently weaker than it reads.
//
// Thread safety: pure functions; the Chain is immutable.
#ifndef MINIK8S_APISERVER_ADMISSION_PLUGINS_H_
#define MINIK8S_APISERVER_ADMISSION_PLUGINS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apiserver/admission/certificates/certificates.h"
#include "apiserver/admission/interface.h"
#include "apiserver/admission/noderestriction/node_restriction.h"
#include "apiserver/admission/rbac/escalation.h"

namespace minik8s::apiserver::admission {

// The names accepted and ignored (always on).
const std::vector<std::string>& AlwaysOnPlugins();

// The plugins of `flag` to build, in order, without the always-on ones;
// InvalidArgument for an unknown name. "" enables none.
absl::StatusOr<std::vector<std::string>> ParseEnabledPlugins(absl::string_view flag);

// What plugins need from the server.
struct PluginDependencies {
  NodeRestriction::NodeUid node_uid;  // NodeRestriction
  NodeRestriction::PodGetter pods;    // NodeRestriction (token requests)
  AuthorizerGetter authorizer;        // CertificateApproval, CertificateSigning, RBAC
  RoleRulesGetter role_rules;         // RBAC's escalation check
};

// The chain of `names` (from ParseEnabledPlugins) and the always-on
// certificate plugins.
std::unique_ptr<Chain> NewChain(const std::vector<std::string>& names,
                                const PluginDependencies& dependencies);

}  // namespace minik8s::apiserver::admission

#endif  // MINIK8S_APISERVER_ADMISSION_PLUGINS_H_
