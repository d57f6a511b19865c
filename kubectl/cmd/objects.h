// Reading objects of any registered kind through the ApiClient, with their
// apiVersion/kind filled in (the apiserver may leave them out).
//
// Thread safety: as ApiClient (safe from any thread).
#ifndef MINIK8S_KUBECTL_CMD_OBJECTS_H_
#define MINIK8S_KUBECTL_CMD_OBJECTS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/scheme.h"
#include "client/api_client.h"
#include "google/protobuf/message.h"

namespace minik8s::kubectl {

using OwnedObject = std::unique_ptr<google::protobuf::Message>;

// `ns` is ignored for cluster-scoped kinds.
absl::StatusOr<OwnedObject> GetObject(client::ApiClient& client, const api::KindInfo& kind,
                                      const std::string& ns, const std::string& name);

// `ns` "" lists across namespaces; ignored for cluster-scoped kinds.
absl::StatusOr<std::vector<OwnedObject>> ListObjects(client::ApiClient& client,
                                                     const api::KindInfo& kind,
                                                     const std::string& ns,
                                                     const client::ListOptions& options = {});

// The objects one resource argument names: each of `names`, read from
// `get_ns` (a name that cannot be read goes to `on_error` and is skipped, as
// kubectl goes on with the others), or, with no names, those `options`
// select in `list_ns` (a failed list is the error returned).
absl::StatusOr<std::vector<OwnedObject>> NamedOrSelectedObjects(
    client::ApiClient& client, const api::KindInfo& kind, const std::string& get_ns,
    const std::string& list_ns, const std::vector<std::string>& names,
    const client::ListOptions& options, const std::function<void(const absl::Status&)>& on_error);

// Borrowed pointers to `objects` (valid while `objects` lives).
std::vector<const google::protobuf::Message*> Pointers(const std::vector<OwnedObject>& objects);

// Prefixes an API error's message with `error when <verb> "<source>": `,
// keeping its reason (kubectl's AddSourceToErr); Invalid errors unchanged.
absl::Status WithSource(const absl::Status& status, absl::string_view verb,
                        absl::string_view source);

// The object's namespace if namespaced kind; "" otherwise.
std::string NamespaceFor(const api::KindInfo& kind, const std::string& ns);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_OBJECTS_H_
