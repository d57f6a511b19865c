// TypedClient<T>: the verbs of one resource kind with typed objects, a thin
// value type over a borrowed ApiClient (copy it freely). The resource is
// found from T's message type (resource.h). Namespaced calls take the
// namespace explicitly; Create/Update/UpdateStatus use the object's own
// metadata.namespace (and metadata.name).
//
//   Clientset cs = ...;
//   auto pod = cs.Pods().Get("default", "web-1");          // StatusOr<Pod>
//   if (IsNotFound(pod.status())) ...
//   auto list = cs.Pods().List("", {.label_selector = "app=web"});
//   auto w = cs.Pods().Watch("default", {.resource_version = list->resource_version});
//
// Thread safety: as ApiClient (all calls concurrent-safe). The ApiClient
// must outlive the TypedClient.
#ifndef MINIK8S_CLIENT_TYPED_CLIENT_H_
#define MINIK8S_CLIENT_TYPED_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/api_client.h"
#include "client/resource.h"
#include "k8s/autoscaling/v1/autoscaling.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::client {

template <typename T>
struct TypedList {
  std::vector<T> items;
  std::string resource_version;
  std::string continue_token;
  std::optional<int64_t> remaining_item_count;
};

template <typename T>
struct DeleteResult {
  T object;              // the object after the call
  bool deleted = false;  // false: deletion pending (grace period, finalizers)
};

template <typename T>
class TypedClient {
 public:
  explicit TypedClient(ApiClient* api) : api_(api), info_(&ResourceOf<T>()) {}

  const ResourceInfo& resource() const { return *info_; }
  ApiClient* api() const { return api_; }

  absl::StatusOr<T> Create(const T& object, bool dry_run = false) const {
    T out;
    absl::Status s =
        api_->Create(info_->resource, object.metadata().namespace_(), object, &out, dry_run);
    if (!s.ok()) return s;
    return out;
  }

  absl::StatusOr<T> Get(absl::string_view ns, absl::string_view name) const {
    T out;
    absl::Status s = api_->Get(info_->resource, ns, name, &out);
    if (!s.ok()) return s;
    return out;
  }

  // ns "" lists across all namespaces.
  absl::StatusOr<TypedList<T>> List(absl::string_view ns, const ListOptions& options = {}) const {
    auto list = api_->List(info_->resource, ns, options, T::default_instance());
    if (!list.ok()) return list.status();
    TypedList<T> out;
    out.items.reserve(list->items.size());
    for (const ObjectPtr& item : list->items) {
      out.items.push_back(static_cast<const T&>(*item));
    }
    out.resource_version = std::move(list->resource_version);
    out.continue_token = std::move(list->continue_token);
    out.remaining_item_count = list->remaining_item_count;
    return out;
  }

  // Replaces spec and metadata; a set metadata.resourceVersion makes it a
  // compare-and-swap (stale → IsConflict).
  absl::StatusOr<T> Update(const T& object, bool dry_run = false) const {
    return UpdateSub(object, "", dry_run);
  }
  // The status subresource.
  absl::StatusOr<T> UpdateStatus(const T& object, bool dry_run = false) const {
    return UpdateSub(object, "status", dry_run);
  }

  // JSON merge patch of the object (or of `subresource`, e.g. "status").
  absl::StatusOr<T> Patch(absl::string_view ns, absl::string_view name,
                          absl::string_view merge_patch_json, absl::string_view subresource = "",
                          bool dry_run = false) const {
    T out;
    absl::Status s =
        api_->Patch(info_->resource, ns, name, subresource, merge_patch_json, &out, dry_run);
    if (!s.ok()) return s;
    return out;
  }

  absl::StatusOr<DeleteResult<T>> Delete(absl::string_view ns, absl::string_view name,
                                         const DeleteOptions& options = {}) const {
    DeleteResult<T> out;
    absl::Status s = api_->Delete(info_->resource, ns, name, options, &out.object, &out.deleted);
    if (!s.ok()) return s;
    return out;
  }

  // Events carry T objects: ObjectAs<T>(event).
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(absl::string_view ns,
                                                     const WatchOptions& options = {}) const {
    return api_->Watch(info_->resource, ns, options, T::default_instance());
  }

  // The scale subresource (Deployment, ReplicaSet).
  absl::StatusOr<minik8s::autoscaling::v1::Scale> GetScale(absl::string_view ns,
                                                           absl::string_view name) const {
    minik8s::autoscaling::v1::Scale out;
    absl::Status s = api_->Get(info_->resource, ns, name, &out, "scale");
    if (!s.ok()) return s;
    return out;
  }
  absl::StatusOr<minik8s::autoscaling::v1::Scale> UpdateScale(
      absl::string_view ns, absl::string_view name,
      const minik8s::autoscaling::v1::Scale& scale) const {
    minik8s::autoscaling::v1::Scale out;
    absl::Status s = api_->Update(info_->resource, ns, name, "scale", scale, &out);
    if (!s.ok()) return s;
    return out;
  }

  // pods/binding (only for T = Pod).
  absl::Status Bind(absl::string_view ns, absl::string_view pod_name,
                    absl::string_view node_name) const {
    static_assert(std::is_same_v<T, minik8s::core::v1::Pod>, "Bind is for pods");
    return api_->Bind(ns, pod_name, node_name);
  }

 private:
  absl::StatusOr<T> UpdateSub(const T& object, absl::string_view sub, bool dry_run) const {
    T out;
    absl::Status s = api_->Update(info_->resource, object.metadata().namespace_(),
                                  object.metadata().name(), sub, object, &out, dry_run);
    if (!s.ok()) return s;
    return out;
  }

  ApiClient* api_;
  const ResourceInfo* info_;
};

}  // namespace minik8s::client

#endif  // MINIK8S_CLIENT_TYPED_CLIENT_H_
