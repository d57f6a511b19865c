#include "kubectl/cmd/related.h"

#include "absl/strings/str_cat.h"
#include "api/selector/fields.h"

namespace minik8s::kubectl {
namespace {

template <typename T>
absl::StatusOr<std::vector<T>> ListTyped(client::ApiClient& client, const std::string& resource,
                                         const std::string& ns,
                                         const client::ListOptions& options) {
  absl::StatusOr<client::ObjectList> list =
      client.List(resource, ns, options, T::default_instance());
  if (!list.ok()) return list.status();
  std::vector<T> out;
  out.reserve(list->items.size());
  for (const auto& item : list->items) out.push_back(static_cast<const T&>(*item));
  return out;
}

}  // namespace

bool IsControlledBy(const minik8s::meta::v1::ObjectMeta& meta, const std::string& owner_uid) {
  for (const auto& ref : meta.owner_references()) {
    if (ref.uid() == owner_uid && ref.has_controller() && ref.controller()) return true;
  }
  return false;
}

absl::StatusOr<std::vector<core::v1::Event>> EventsFor(client::ApiClient& client,
                                                       const std::string& ns,
                                                       const std::string& name,
                                                       const std::string& uid) {
  client::ListOptions options;
  options.field_selector = absl::StrCat("involvedObject.name=", api::EscapeFieldValue(name));
  if (!ns.empty()) {
    absl::StrAppend(&options.field_selector,
                    ",involvedObject.namespace=", api::EscapeFieldValue(ns));
  }
  absl::StatusOr<std::vector<core::v1::Event>> events =
      ListTyped<core::v1::Event>(client, "events", ns, options);
  if (!events.ok()) return events.status();
  if (uid.empty()) return events;
  std::vector<core::v1::Event> out;
  for (auto& e : *events) {
    if (e.involved_object().uid().empty() || e.involved_object().uid() == uid) {
      out.push_back(std::move(e));
    }
  }
  return out;
}

absl::StatusOr<std::vector<apps::v1::ReplicaSet>> ReplicaSetsOwnedBy(client::ApiClient& client,
                                                                     const std::string& ns,
                                                                     const std::string& owner_uid) {
  absl::StatusOr<std::vector<apps::v1::ReplicaSet>> all =
      ListTyped<apps::v1::ReplicaSet>(client, "replicasets", ns, {});
  if (!all.ok()) return all.status();
  std::vector<apps::v1::ReplicaSet> out;
  for (auto& rs : *all) {
    if (IsControlledBy(rs.metadata(), owner_uid)) out.push_back(std::move(rs));
  }
  return out;
}

absl::StatusOr<std::vector<core::v1::Pod>> PodsOwnedBy(client::ApiClient& client,
                                                       const std::string& ns,
                                                       const std::string& owner_uid) {
  absl::StatusOr<std::vector<core::v1::Pod>> all = ListTyped<core::v1::Pod>(client, "pods", ns, {});
  if (!all.ok()) return all.status();
  std::vector<core::v1::Pod> out;
  for (auto& p : *all) {
    if (IsControlledBy(p.metadata(), owner_uid)) out.push_back(std::move(p));
  }
  return out;
}

}  // namespace minik8s::kubectl
