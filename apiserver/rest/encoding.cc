#include "apiserver/rest/encoding.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "api/codec.h"
#include "api/errors.h"
#include "api/k8s_protobuf.h"
#include "api/yaml_limits.h"
#include "api/yaml_scalar.h"
#include "apiserver/object_meta.h"
#include "common/metrics.h"
#include "common/version.h"
#include "k8s/autoscaling/v1/autoscaling.pb.h"
#include "k8s/meta/v1/meta.pb.h"
#include "printers/table_json.h"

namespace minik8s::apiserver::rest {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string JsonEscape(absl::string_view s) {
  std::string quoted = api::JsonQuote(std::string_view(s.data(), s.size()));
  return quoted.substr(1, quoted.size() - 2);
}

meta::v1::Status ErrorStatus(const absl::Status& status) {
  meta::v1::Status api = api::ToApiStatus(status);
  api.set_api_version("v1");
  api.set_kind("Status");
  api.mutable_metadata();
  api.set_status("Failure");
  if (api.code() == 0) api.set_code(500);
  return api;
}

std::pair<int, std::string> EncodeError(const absl::Status& status) {
  meta::v1::Status api = ErrorStatus(status);
  return {api.code(), api::EncodeJson(api)};
}

namespace {

std::string_view StdView(absl::string_view s) { return std::string_view(s.data(), s.size()); }

bool HasTypeMeta(const Message& object) {
  const FieldDescriptor* kind = object.GetDescriptor()->FindFieldByName("kind");
  return kind == nullptr || kind->type() != FieldDescriptor::TYPE_STRING ||
         !object.GetReflection()->GetString(object, kind).empty();
}

std::string MetadataJson(const Message& object) { return api::EncodeJson(Meta(object)); }

std::string PartialObjectMetadata(const Message& object) {
  return absl::StrCat(
      R"({"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":)",
      MetadataJson(object), "}");
}

}  // namespace

std::string ObjectJson(const Message& object) {
  if (HasTypeMeta(object)) return api::EncodeJson(object);
  std::unique_ptr<Message> copy(object.New());
  copy->CopyFrom(object);
  api::Scheme::Default().SetTypeMeta(copy.get()).IgnoreError();
  return api::EncodeJson(*copy);
}

std::string EncodeObject(const Message& object, Format format, const api::KindInfo* kind) {
  switch (format) {
    case Format::kMetadata:
      return PartialObjectMetadata(object);
    case Format::kProtobuf:
      return api::EncodeK8sProtobuf(object);
    case Format::kYaml: {
      if (HasTypeMeta(object)) return api::EncodeYaml(object);
      std::unique_ptr<Message> copy(object.New());
      copy->CopyFrom(object);
      api::Scheme::Default().SetTypeMeta(copy.get()).IgnoreError();
      return api::EncodeYaml(*copy);
    }
    default:
      return ObjectJson(object);
  }
}

std::vector<const Message*> ListItems(const Message& list) {
  std::vector<const Message*> items;
  const FieldDescriptor* field = list.GetDescriptor()->FindFieldByName("items");
  if (field == nullptr) return items;
  const int n = list.GetReflection()->FieldSize(list, field);
  items.reserve(n);
  for (int i = 0; i < n; ++i) {
    items.push_back(&list.GetReflection()->GetRepeatedMessage(list, field, i));
  }
  return items;
}

std::string EncodeList(const Message& list, Format format) {
  if (format == Format::kMetadata) {
    const FieldDescriptor* meta_field = list.GetDescriptor()->FindFieldByName("metadata");
    std::string meta = "{}";
    if (meta_field != nullptr) {
      meta = api::EncodeJson(list.GetReflection()->GetMessage(list, meta_field));
    }
    std::vector<std::string> items;
    for (const Message* item : ListItems(list)) items.push_back(PartialObjectMetadata(*item));
    return absl::StrCat(
        R"({"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":)", meta,
        R"(,"items":[)", absl::StrJoin(items, ","), "]}");
  }
  std::string out = EncodeObject(list, format);
  // Kubernetes always writes `items`, also when empty: clients such as
  // kubectl tell a list from an object by it.
  if (ListItems(list).empty()) {
    if (format == Format::kJson && !out.empty() && out.back() == '}') {
      out.insert(out.size() - 1, R"(,"items":[])");
    } else if (format == Format::kYaml) {
      out.append("items: []\n");
    }
  }
  return out;
}

std::string EncodeTable(const api::KindInfo& kind, const std::vector<const Message*>& objects,
                        const std::string& resource_version, const std::string& continue_token,
                        std::optional<int64_t> remaining, const HttpRequest& request,
                        bool column_definitions) {
  printers::TableJsonOptions options;
  options.resource_version = resource_version;
  options.continue_token = continue_token;
  options.remaining_item_count = remaining;
  options.now = absl::Now();
  // An invalid includeObject was refused before (CheckTableOptions).
  absl::StatusOr<printers::IncludeObject> include =
      printers::ParseIncludeObject(StdView(request.Query("includeObject")));
  options.include_object = include.ok() ? *include : printers::IncludeObject::kMetadata;
  options.include_column_definitions = column_definitions;
  return printers::EncodeTableJson(kind, objects, options);
}

absl::Status CheckTableOptions(const HttpRequest& request) {
  absl::StatusOr<printers::IncludeObject> include =
      printers::ParseIncludeObject(StdView(request.Query("includeObject")));
  if (!include.ok()) return api::NewBadRequest(include.status().message());
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Message>> ParseResponseObject(const api::KindInfo& kind,
                                                             const std::string& subresource,
                                                             const std::string& bytes) {
  std::unique_ptr<Message> object;
  if (subresource == "scale") {
    object = std::make_unique<autoscaling::v1::Scale>();
  } else {
    object = kind.New();
  }
  if (!object->ParseFromString(bytes)) {
    return api::NewInternalError(absl::StrCat("cannot parse the stored ", kind.kind));
  }
  api::Scheme::Default().SetTypeMeta(object.get()).IgnoreError();
  return object;
}

absl::Status FillList(const api::KindInfo& kind, const v1::ListResponse& response, Message* list) {
  const google::protobuf::Descriptor* d = list->GetDescriptor();
  const google::protobuf::Reflection* r = list->GetReflection();
  const FieldDescriptor* items = d->FindFieldByName("items");
  const FieldDescriptor* metadata = d->FindFieldByName("metadata");
  if (items == nullptr || metadata == nullptr) {
    return api::NewInternalError(absl::StrCat(kind.list_kind, " has no items or metadata"));
  }
  for (const std::string& bytes : response.items()) {
    Message* item = r->AddMessage(list, items);
    if (!item->ParseFromString(bytes)) {
      return api::NewInternalError(absl::StrCat("cannot parse a stored ", kind.kind));
    }
    api::Scheme::Default().SetTypeMeta(item).IgnoreError();
  }
  auto* meta = static_cast<meta::v1::ListMeta*>(r->MutableMessage(list, metadata));
  meta->set_resource_version(response.resource_version());
  meta->set_continue_(response.continue_());
  if (response.has_remaining_item_count()) {
    meta->set_remaining_item_count(response.remaining_item_count());
  }
  return api::Scheme::Default().SetTypeMeta(list);
}

absl::StatusOr<YAML::Node> ParseJsonBody(absl::string_view body) {
  absl::StatusOr<YAML::Node> node = api::LoadLimited(body);
  if (!node.ok()) {
    return api::NewBadRequest(
        absl::StrCat("the request body is not valid JSON: ", node.status().message()));
  }
  return node;
}

std::string VersionJson() {
  return absl::StrCat(R"({"major":")", version::kMajor, R"(","minor":")", version::kMinor,
                      R"(","gitVersion":")", version::kGitVersion,
                      R"(","gitCommit":"","gitTreeState":"","buildDate":"",)",
                      R"("goVersion":"","compiler":"gcc","platform":"linux/amd64"})");
}

std::string MetricsText() { return metrics::Registry::Default().Expose(); }

}  // namespace minik8s::apiserver::rest
