#include "apiserver/authz/chain.h"

#include <algorithm>
#include <utility>

#include "apiserver/authz/node_authorizer.h"

namespace minik8s::apiserver::authz {

bool HasRbac(const std::vector<std::string>& modes) {
  return std::find(modes.begin(), modes.end(), "RBAC") != modes.end();
}

bool HasNode(const std::vector<std::string>& modes) {
  return std::find(modes.begin(), modes.end(), "Node") != modes.end();
}

absl::StatusOr<std::unique_ptr<Authorizer>> NewAuthorizer(const std::vector<std::string>& modes,
                                                          const PolicySource* rbac_source,
                                                          const NodeGraph* node_graph) {
  std::vector<std::unique_ptr<Authorizer>> chain;
  chain.push_back(std::make_unique<PrivilegedGroupsAuthorizer>());
  for (const std::string& mode : modes) {
    if (mode == "AlwaysAllow") {
      chain.push_back(std::make_unique<AlwaysAllowAuthorizer>());
    } else if (mode == "AlwaysDeny") {
      chain.push_back(std::make_unique<AlwaysDenyAuthorizer>());
    } else if (mode == "Node") {
      chain.push_back(std::make_unique<NodeAuthorizer>(node_graph));
    } else if (mode == "RBAC") {
      if (rbac_source == nullptr) return absl::InvalidArgumentError("RBAC needs a policy source");
      chain.push_back(std::make_unique<RbacAuthorizer>(rbac_source));
    } else {
      return absl::InvalidArgumentError("unknown authorization mode " + mode);
    }
  }
  return std::make_unique<UnionAuthorizer>(std::move(chain));
}

}  // namespace minik8s::apiserver::authz
