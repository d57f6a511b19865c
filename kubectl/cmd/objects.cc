#include "kubectl/cmd/objects.h"

#include "absl/strings/str_cat.h"
#include "api/errors.h"

namespace minik8s::kubectl {

absl::Status WithSource(const absl::Status& status, absl::string_view verb,
                        absl::string_view source) {
  std::optional<meta::v1::Status> object = api::StatusObject(status);
  if (!object.has_value() || object->reason() == api::kReasonInvalid) return status;
  object->set_message(absl::StrCat("error when ", verb, " \"", source, "\": ", object->message()));
  absl::Status out(status.code(), object->message());
  out.SetPayload(api::kStatusPayloadUrl, absl::Cord(object->SerializeAsString()));
  return out;
}

std::string NamespaceFor(const api::KindInfo& kind, const std::string& ns) {
  return kind.namespaced ? ns : "";
}

absl::StatusOr<OwnedObject> GetObject(client::ApiClient& client, const api::KindInfo& kind,
                                      const std::string& ns, const std::string& name) {
  OwnedObject object = kind.New();
  absl::Status status = client.Get(kind.resource, NamespaceFor(kind, ns), name, object.get());
  if (!status.ok()) return status;
  (void)api::Scheme::Default().SetTypeMeta(object.get());
  return object;
}

absl::StatusOr<std::vector<OwnedObject>> ListObjects(client::ApiClient& client,
                                                     const api::KindInfo& kind,
                                                     const std::string& ns,
                                                     const client::ListOptions& options) {
  OwnedObject prototype = kind.New();
  absl::StatusOr<client::ObjectList> list =
      client.List(kind.resource, NamespaceFor(kind, ns), options, *prototype);
  if (!list.ok()) return list.status();
  std::vector<OwnedObject> out;
  out.reserve(list->items.size());
  for (const client::ObjectPtr& item : list->items) {
    OwnedObject copy(item->New());
    copy->CopyFrom(*item);
    (void)api::Scheme::Default().SetTypeMeta(copy.get());
    out.push_back(std::move(copy));
  }
  return out;
}

std::vector<const google::protobuf::Message*> Pointers(const std::vector<OwnedObject>& objects) {
  std::vector<const google::protobuf::Message*> out;
  out.reserve(objects.size());
  for (const auto& o : objects) out.push_back(o.get());
  return out;
}

absl::StatusOr<std::vector<OwnedObject>> NamedOrSelectedObjects(
    client::ApiClient& client, const api::KindInfo& kind, const std::string& get_ns,
    const std::string& list_ns, const std::vector<std::string>& names,
    const client::ListOptions& options, const std::function<void(const absl::Status&)>& on_error) {
  if (names.empty()) return ListObjects(client, kind, list_ns, options);
  std::vector<OwnedObject> objects;
  for (const std::string& name : names) {
    absl::StatusOr<OwnedObject> obj = GetObject(client, kind, get_ns, name);
    if (obj.ok()) {
      objects.push_back(*std::move(obj));
    } else {
      on_error(obj.status());
    }
  }
  return objects;
}

}  // namespace minik8s::kubectl
