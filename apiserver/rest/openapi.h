// The OpenAPI v3 documents kube-apiserver serves, generated from our own
// type definitions: component schemas from the protobuf descriptors of each
// kind (JSON names, types, and the patch/list metadata carried by the field
// options of k8s/meta/v1/field_options.proto), paths and operations from
// the same model discovery uses (discovery.h: resources, subresources,
// verbs).
//
//   GET /openapi/v3                → the index:
//       {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=<HASH>"},
//                 "apis/apps/v1":{...}, ...}}
//   GET /openapi/v3/api/v1,
//       /openapi/v3/apis/<group>/<v> → that group-version's OpenAPI 3.0 document.
//
// What kubectl needs from them, and so what they carry:
//   - `kubectl apply` (default --validate=strict) looks, in the document of
//     the object's group-version, for a PATCH operation whose
//     `x-kubernetes-group-version-kind` is the object's kind and that takes
//     a `fieldValidation` query parameter (cli-runtime
//     pkg/resource/query_param_verifier_v3.go); it then leaves validation to
//     the server. Every PATCH here declares it.
//   - PATCH request bodies list application/strategic-merge-patch+json, so
//     kubectl builds its strategic merge patches from the component
//     schemas' `x-kubernetes-patch-merge-key` / `x-kubernetes-patch-strategy`
//     (kubectl pkg/cmd/apply/patcher.go).
//   - `kubectl explain` finds the kind through the GVK of the operations on
//     the resource's collection/item path, then the component schema with
//     that GVK, and walks its properties (following `$ref` and `allOf`).
// Schemas are named as Kubernetes names them (io.k8s.api.apps.v1.Deployment,
// io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta,
// io.k8s.apimachinery.pkg.api.resource.Quantity, ...); a `$ref` that has
// sibling keys is wrapped in `allOf`, as kube-openapi writes v3 references.
//
// Thread safety: immutable after construction; Find() is safe to call
// concurrently.
#ifndef MINIK8S_APISERVER_REST_OPENAPI_H_
#define MINIK8S_APISERVER_REST_OPENAPI_H_

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "apiserver/registry/registry.h"
#include "google/protobuf/descriptor.h"

namespace minik8s::apiserver::rest {

class OpenApiDocs {
 public:
  // Generates the index and every group-version document from `registry`
  // (which need not outlive this object).
  explicit OpenApiDocs(const Registry& registry);

  // The JSON body for a GET of `path` (without the query string), or
  // nullptr when there is no such document. The pointer stays valid for the
  // lifetime of this object.
  const std::string* Find(std::string_view path) const;

 private:
  absl::flat_hash_map<std::string, std::string> docs_;  // path → JSON body
};

// GET /openapi/v2. minik8s publishes its schemas in v3 only and answers
// v2 with an empty document (no paths, no definitions): protobuf (an empty
// gnostic Document, zero bytes) when `accept` names protobuf, as kubectl
// asks, else JSON. kubectl falls back to v2 when a kind's v3 document has
// no PATCH declaring fieldValidation — the create-only reviews (TokenReview,
// SubjectAccessReview, ...) and kinds the server does not serve — to
// validate on the client; finding no schema there it skips that validation
// and lets the server decide (which decodes strictly), where a 404 would
// stop `kubectl create -f` with "the server could not find the requested
// resource".
struct OpenApiV2Answer {
  std::string content_type;
  std::string body;
};
OpenApiV2Answer OpenApiV2Document(absl::string_view accept);

// The name Kubernetes gives the schema of a message type:
// minik8s.apps.v1.DeploymentSpec → io.k8s.api.apps.v1.DeploymentSpec,
// minik8s.meta.v1.ObjectMeta → io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta,
// minik8s.meta.v1.Quantity → io.k8s.apimachinery.pkg.api.resource.Quantity,
// minik8s.meta.v1.IntOrString → io.k8s.apimachinery.pkg.util.intstr.IntOrString.
std::string OpenApiSchemaName(const google::protobuf::Descriptor* descriptor);

}  // namespace minik8s::apiserver::rest

#endif  // MINIK8S_APISERVER_REST_OPENAPI_H_
