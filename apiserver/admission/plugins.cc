#include "apiserver/admission/plugins.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace minik8s::apiserver::admission {

const char* OperationName(Operation operation) {
  switch (operation) {
    case Operation::kCreate:
      return "CREATE";
    case Operation::kUpdate:
      return "UPDATE";
    case Operation::kDelete:
      return "DELETE";
  }
  return "";
}

absl::Status Chain::Admit(const Attributes& attributes) const {
  for (const auto& plugin : plugins_) {
    if (absl::Status status = plugin->Admit(attributes); !status.ok()) return status;
  }
  return absl::OkStatus();
}

const std::vector<std::string>& AlwaysOnPlugins() {
  static const std::vector<std::string>* const kAlwaysOn =
      new std::vector<std::string>{"NamespaceLifecycle",
                                   "ServiceAccount",
                                   "DefaultTolerationSeconds",
                                   "Priority",
                                   kCertificateApprovalName,
                                   kCertificateSigningName,
                                   kCertificateSubjectRestrictionName};
  return *kAlwaysOn;
}

absl::StatusOr<std::vector<std::string>> ParseEnabledPlugins(absl::string_view flag) {
  std::vector<std::string> enabled;
  for (absl::string_view name : absl::StrSplit(flag, ',', absl::SkipWhitespace())) {
    name = absl::StripAsciiWhitespace(name);
    const auto& always = AlwaysOnPlugins();
    if (std::find(always.begin(), always.end(), name) != always.end()) continue;
    if (name != kNodeRestrictionName) {
      return absl::InvalidArgumentError(
          absl::StrCat("enable-admission-plugins plugin \"", name,
                       "\" is unknown to minik8s-apiserver (supported: ", kNodeRestrictionName,
                       "; always on, accepted: ", absl::StrJoin(always, ", "), ")"));
    }
    if (std::find(enabled.begin(), enabled.end(), name) == enabled.end()) {
      enabled.emplace_back(name);
    }
  }
  return enabled;
}

std::unique_ptr<Chain> NewChain(const std::vector<std::string>& names,
                                const PluginDependencies& dependencies) {
  std::vector<std::unique_ptr<Plugin>> plugins;
  for (const std::string& name : names) {
    if (name == kNodeRestrictionName) {
      plugins.push_back(
          std::make_unique<NodeRestriction>(dependencies.node_uid, dependencies.pods));
    }
  }
  plugins.push_back(std::make_unique<CertificateApproval>(dependencies.authorizer));
  plugins.push_back(std::make_unique<CertificateSigning>(dependencies.authorizer));
  plugins.push_back(std::make_unique<CertificateSubjectRestriction>());
  plugins.push_back(
      std::make_unique<RbacEscalation>(dependencies.authorizer, dependencies.role_rules));
  return std::make_unique<Chain>(std::move(plugins));
}

}  // namespace minik8s::apiserver::admission
