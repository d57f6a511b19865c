// Scheme: the registry of API kinds. For each kind it knows the group,
// version, apiVersion, kind, resource names (plural, singular, short names),
// whether it is namespaced, and the protobuf message types of the object and
// of its list. The codec picks a message type through it, the apiserver maps
// resources to kinds and storage keys through it, and the kubectl clone
// resolves the names users type (`po`, `deploy`, `deployments.apps`).
//
// The built-in kinds are those of kinds/kinds.def, each entry defined in its
// kind's folder (kinds/<name>/<name>_scheme.cc); scheme.cc adds only the
// meta kinds (Binding, Status, DeleteOptions, Scale), which are not
// resources. Other schemes (tests) call Register() themselves.
//
// Thread safety: Register() must happen before the scheme is shared; all
// const methods are safe to call concurrently. Scheme::Default() is built
// once, on first use, and is immutable afterwards.
#ifndef MINIK8S_API_SCHEME_H_
#define MINIK8S_API_SCHEME_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace minik8s::api {

struct KindInfo {
  std::string group;        // "" for the core group, "apps", "coordination.k8s.io"
  std::string version;      // "v1"
  std::string api_version;  // "v1", "apps/v1" (derived from group and version)
  std::string kind;         // "Pod"
  std::string list_kind;    // "PodList"; empty when the kind has no list
  // Resource names; `resource` is empty for kinds that are not stored
  // resources of their own (Scale, Status, DeleteOptions, Binding).
  std::string resource;                  // plural, lower case: "pods"
  std::string singular;                  // "pod"
  std::vector<std::string> short_names;  // "po"
  bool namespaced = false;
  const google::protobuf::Descriptor* descriptor = nullptr;       // minik8s.core.v1.Pod
  const google::protobuf::Descriptor* list_descriptor = nullptr;  // minik8s.core.v1.PodList

  // "pods" for the core group, "deployments.apps" otherwise (the form used
  // in Kubernetes' messages: `deployments.apps "x" not found`).
  std::string GroupResource() const;
  // New empty object / list (owned by the caller).
  std::unique_ptr<google::protobuf::Message> New() const;
  std::unique_ptr<google::protobuf::Message> NewList() const;
};

class Scheme {
 public:
  Scheme() = default;
  Scheme(const Scheme&) = delete;
  Scheme& operator=(const Scheme&) = delete;

  // The scheme with every kind of kinds/kinds.def (v1 Namespace, Pod, Node,
  // Event; apps/v1 Deployment, ReplicaSet; coordination.k8s.io/v1 Lease)
  // and the meta kinds v1 Binding, Status, DeleteOptions and
  // autoscaling/v1 Scale.
  static const Scheme& Default();

  // Registers a kind. `api_version` is derived from group and version when
  // empty. Fails with AlreadyExists on a duplicate apiVersion+kind, resource
  // or short name, and InvalidArgument when a name or descriptor is missing.
  absl::Status Register(KindInfo info);

  // Lookups return nullptr when nothing matches. The pointers stay valid for
  // the scheme's lifetime.
  const KindInfo* FindByKind(std::string_view api_version, std::string_view kind) const;
  // A list kind ("PodList") → the kind it lists.
  const KindInfo* FindByListKind(std::string_view api_version, std::string_view list_kind) const;
  // Resolves what a user types: plural, singular, short name or kind, case
  // insensitive, optionally qualified by group ("deployments.apps",
  // "deploy.apps"). Only stored resources (non-empty `resource`) match.
  const KindInfo* FindByResource(std::string_view name) const;
  // The kind whose object (or list) message type is `descriptor`.
  const KindInfo* FindByDescriptor(const google::protobuf::Descriptor* descriptor) const;
  const KindInfo* FindByListDescriptor(const google::protobuf::Descriptor* descriptor) const;

  // All kinds in registration order.
  const std::vector<std::unique_ptr<KindInfo>>& kinds() const { return kinds_; }

  // Sets the `apiVersion` and `kind` fields of a registered object or list
  // message from its type. NotFound if the type is not registered.
  absl::Status SetTypeMeta(google::protobuf::Message* message) const;

 private:
  std::vector<std::unique_ptr<KindInfo>> kinds_;
  absl::flat_hash_map<std::string, const KindInfo*> by_kind_;       // "apps/v1/Deployment"
  absl::flat_hash_map<std::string, const KindInfo*> by_list_kind_;  // "apps/v1/DeploymentList"
  // Lower-case resource names (plural, singular, short, kind), unqualified
  // and qualified by group ("deployments.apps").
  absl::flat_hash_map<std::string, const KindInfo*> by_resource_;
  absl::flat_hash_map<const google::protobuf::Descriptor*, const KindInfo*> by_descriptor_;
  absl::flat_hash_map<const google::protobuf::Descriptor*, const KindInfo*> by_list_descriptor_;
};

}  // namespace minik8s::api

#endif  // MINIK8S_API_SCHEME_H_
