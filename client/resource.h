// Resource identity of the kinds the client library serves, and generic
// access to an object's metadata.
//
// ResourceInfo names a kind on the wire: the resource plural the apiserver
// routes by ("pods"), its kind and apiVersion (for Event involvedObject and
// ownerReferences) and whether it is namespaced. ResourceFor(descriptor)
// finds it from the protobuf message type, so TypedClient<T> needs no
// per-kind code; it knows every stored kind of api::Scheme::Default() and
// anything added with RegisterResource.
//
// Thread safety: lookups are safe from any thread; RegisterResource must
// happen before other threads use the table (e.g. at the top of main).
#ifndef MINIK8S_CLIENT_RESOURCE_H_
#define MINIK8S_CLIENT_RESOURCE_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::client {

struct ResourceInfo {
  std::string resource;     // "pods"
  std::string kind;         // "Pod"
  std::string api_version;  // "v1", "apps/v1"
  std::string group;        // "", "apps", "coordination.k8s.io"
  bool namespaced = true;

  // "pods", "deployments.apps" (as in Kubernetes' error messages).
  std::string GroupResource() const;
};

// The resource of a message type (full name "minik8s.core.v1.Pod"), or
// nullptr when it is not known.
const ResourceInfo* ResourceFor(const google::protobuf::Descriptor* descriptor);
template <typename T>
const ResourceInfo& ResourceOf() {
  const ResourceInfo* info = ResourceFor(T::descriptor());
  // A kind without resource info is a programming error, caught by tests.
  if (info == nullptr) std::abort();
  return *info;
}

// Adds a kind (message full name → info). Not thread-safe; see above.
void RegisterResource(std::string message_full_name, ResourceInfo info);

// The object's `metadata` (field 1 of every API object). Returns the default
// instance when the message has no ObjectMeta metadata field.
const minik8s::meta::v1::ObjectMeta& MetaOf(const google::protobuf::Message& object);
minik8s::meta::v1::ObjectMeta* MutableMetaOf(google::protobuf::Message* object);

// The cache key of an object: "namespace/name", or "name" when the object
// has no namespace (client-go MetaNamespaceKeyFunc).
std::string KeyOf(const google::protobuf::Message& object);
std::string MakeKey(absl::string_view ns, absl::string_view name);
// Splits a key made by MakeKey into namespace and name.
void SplitKey(absl::string_view key, std::string* ns, std::string* name);

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_RESOURCE_H_
