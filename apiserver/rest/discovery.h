// API discovery: what the apiserver serves, described as Kubernetes'
// discovery endpoints do, derived once from the registry (the scheme's
// kinds and each strategy's subresources), plus the create-only reviews of
// authorization.k8s.io/v1 (authz/access_review.h), which only the
// discovery documents list.
//
// Two parts:
//   - ServedGroupVersions(): the model — every group-version with its
//     resources and subresources (name, kind, verbs, short names, ...).
//     The OpenAPI documents (openapi.h) are generated from the same model,
//     so discovery and OpenAPI cannot disagree.
//   - DiscoveryDocs: the legacy (non-aggregated) discovery documents as
//     kube-apiserver writes them, served as `application/json`:
//       GET /api               APIVersions   {"kind":"APIVersions","versions":["v1"],...}
//       GET /apis              APIGroupList  (every group but the core one)
//       GET /apis/<group>      APIGroup
//       GET /api/v1            APIResourceList
//       GET /apis/<group>/<v>  APIResourceList
//     client-go reads these when the server does not answer with the
//     aggregated format (client-go discovery/discovery_client.go); kubectl
//     takes short names (`po`, `deploy`) and the scale subresource's kind
//     (autoscaling/v1 Scale) only from here.
//
// Thread safety: DiscoveryDocs is immutable after construction; Find() is
// safe to call concurrently.
#ifndef MINIK8S_APISERVER_REST_DISCOVERY_H_
#define MINIK8S_APISERVER_REST_DISCOVERY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "api/scheme.h"
#include "apiserver/registry/registry.h"
#include "apiserver/registry/strategy.h"

namespace minik8s::apiserver::rest {

// One entry of an APIResourceList: a resource ("pods") or one of its
// subresources ("pods/status").
struct ApiResource {
  std::string name;           // "pods", "pods/status", "deployments/scale"
  std::string subresource;    // "" for the resource itself, else "status", "scale", ...
  std::string singular_name;  // "pod"; empty for subresources, as Kubernetes lists them
  bool namespaced = false;
  // The kind read and written at this path, with its group and version
  // (autoscaling/v1 Scale for "deployments/scale", v1 Binding for
  // "pods/binding", the resource's own kind otherwise).
  const api::KindInfo* kind = nullptr;
  std::vector<std::string> verbs;  // sorted, as kube-apiserver lists them
  std::vector<std::string> short_names;
  std::vector<std::string> categories;  // the strategy's (Traits::categories)
  // The resource's strategy (for a subresource, its parent's). Never null.
  const Strategy* strategy = nullptr;
};

// The resources of one group-version, sorted by name (subresources right
// after their resource, as kube-apiserver orders them).
struct ApiGroupVersion {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::vector<ApiResource> resources;

  // "v1" for the core group, "apps/v1" otherwise.
  std::string GroupVersion() const;
  // The URL prefix of its resources: "/api/v1", "/apis/apps/v1".
  std::string PathPrefix() const;
};

// Every group-version `registry` serves: the core group first, then the
// groups in registration order. Kinds without a resource name (Scale,
// Status, Binding, DeleteOptions) appear only as subresource kinds.
std::vector<ApiGroupVersion> ServedGroupVersions(const Registry& registry);

class DiscoveryDocs {
 public:
  // Builds every document from `registry` (which need not outlive this
  // object). `server_address` ("host:port", may be empty) is what the
  // documents give as serverAddressByClientCIDRs for clientCIDR 0.0.0.0/0,
  // as kube-apiserver writes its external address there.
  explicit DiscoveryDocs(const Registry& registry, std::string server_address = "");

  // The JSON body for a GET of `path` (without the query; one trailing '/'
  // is ignored), or nullptr when `path` is not a discovery document. The
  // pointer stays valid for the lifetime of this object.
  const std::string* Find(std::string_view path) const;

 private:
  absl::flat_hash_map<std::string, std::string> docs_;  // path → JSON body
};

}  // namespace minik8s::apiserver::rest

#endif  // MINIK8S_APISERVER_REST_DISCOVERY_H_
