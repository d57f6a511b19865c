// Lookups describe, rollout and trace share: an object's events and the
// objects it controls (through ownerReferences with controller=true).
//
// Thread safety: as ApiClient.
#ifndef MINIK8S_KUBECTL_CMD_RELATED_H_
#define MINIK8S_KUBECTL_CMD_RELATED_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/api_client.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::kubectl {

// Events whose involvedObject is the object (`ns` "" for cluster-scoped
// objects: events of every namespace). Matched by uid when `uid` is set.
absl::StatusOr<std::vector<core::v1::Event>> EventsFor(client::ApiClient& client,
                                                       const std::string& ns,
                                                       const std::string& name,
                                                       const std::string& uid);

// The replica sets in `ns` controlled by the object with `owner_uid`.
absl::StatusOr<std::vector<apps::v1::ReplicaSet>> ReplicaSetsOwnedBy(client::ApiClient& client,
                                                                     const std::string& ns,
                                                                     const std::string& owner_uid);

// The pods in `ns` controlled by the object with `owner_uid`.
absl::StatusOr<std::vector<core::v1::Pod>> PodsOwnedBy(client::ApiClient& client,
                                                       const std::string& ns,
                                                       const std::string& owner_uid);

// True when `meta` has a controller ownerReference to `owner_uid`.
bool IsControlledBy(const minik8s::meta::v1::ObjectMeta& meta, const std::string& owner_uid);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_RELATED_H_
