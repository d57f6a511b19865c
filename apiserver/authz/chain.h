// The authorizer of a --authorization-mode list (authorizer.h): system:masters
// first, then each mode in order (AlwaysAllow, AlwaysDeny, Node, RBAC), as
// kube-apiserver builds its union authorizer.
//
// Thread safety: the result is safe for concurrent use.
#ifndef MINIK8S_APISERVER_AUTHZ_CHAIN_H_
#define MINIK8S_APISERVER_AUTHZ_CHAIN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apiserver/authz/authorizer.h"
#include "apiserver/authz/node_graph.h"
#include "apiserver/authz/rbac_authorizer.h"

namespace minik8s::apiserver::authz {

// Whether `modes` (from ParseModes) include RBAC.
bool HasRbac(const std::vector<std::string>& modes);

// `rbac_source` (must outlive the result) is read when `modes` include RBAC
// and may be null otherwise; InvalidArgument when RBAC has no source.
// `node_graph` (likewise; may be null: no paths) is the Node mode's graph.
absl::StatusOr<std::unique_ptr<Authorizer>> NewAuthorizer(const std::vector<std::string>& modes,
                                                          const PolicySource* rbac_source,
                                                          const NodeGraph* node_graph = nullptr);

// Whether `modes` include Node.
bool HasNode(const std::vector<std::string>& modes);

}  // namespace minik8s::apiserver::authz

#endif  // MINIK8S_APISERVER_AUTHZ_CHAIN_H_
