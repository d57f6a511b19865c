#include "apiserver/rest/openapi.h"

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/scheme.h"
#include "api/yaml_scalar.h"
#include "apiserver/rest/discovery.h"
#include "k8s/meta/v1/field_options.pb.h"
#include "k8s/meta/v1/meta.pb.h"

namespace minik8s::apiserver::rest {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

constexpr char kIndexPath[] = "/openapi/v3";
constexpr char kSchemaRefPrefix[] = "#/components/schemas/";
constexpr char kMetaSchemaPrefix[] = "io.k8s.apimachinery.pkg.apis.meta.v1.";
constexpr char kPatchSchema[] = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
constexpr char kWatchEventSchema[] = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
constexpr char kRawExtensionSchema[] = "io.k8s.apimachinery.pkg.runtime.RawExtension";

// ------------------------------------------------------------------ JSON

// A small JSON tree for building the documents. Object members are kept
// sorted by key, so a document's bytes (and its hash) depend only on its
// content.
class Json {
 public:
  Json() = default;                                                  // null
  Json(bool value) : type_(Type::kBool), bool_(value) {}             // NOLINT: implicit by design
  Json(const char* value) : type_(Type::kString), string_(value) {}  // NOLINT
  Json(std::string value) : type_(Type::kString), string_(std::move(value)) {}  // NOLINT

  static Json Object(std::initializer_list<std::pair<const std::string, Json>> members = {}) {
    Json out;
    out.type_ = Type::kObject;
    out.members_ = members;
    return out;
  }
  static Json Array(std::initializer_list<Json> items = {}) {
    Json out;
    out.type_ = Type::kArray;
    out.items_ = items;
    return out;
  }
  static Json Strings(const std::vector<std::string>& items) {
    Json out = Array();
    for (const std::string& item : items) out.Push(item);
    return out;
  }

  // Object member (a null value turns into an object).
  Json& operator[](const std::string& key) {
    if (type_ == Type::kNull) type_ = Type::kObject;
    return members_[key];
  }
  // Array item (a null value turns into an array).
  Json& Push(Json item) {
    if (type_ == Type::kNull) type_ = Type::kArray;
    items_.push_back(std::move(item));
    return items_.back();
  }
  bool IsEmptyObject() const { return type_ == Type::kObject && members_.empty(); }
  void Merge(const Json& object) {
    for (const auto& [key, value] : object.members_) (*this)[key] = value;
  }

  std::string Dump() const {
    std::string out;
    DumpTo(&out);
    return out;
  }

 private:
  enum class Type { kNull, kBool, kString, kArray, kObject };

  void DumpTo(std::string* out) const {
    switch (type_) {
      case Type::kNull:
        *out += "null";
        return;
      case Type::kBool:
        *out += bool_ ? "true" : "false";
        return;
      case Type::kString:
        *out += api::JsonQuote(string_);
        return;
      case Type::kArray: {
        *out += '[';
        for (size_t i = 0; i < items_.size(); ++i) {
          if (i > 0) *out += ',';
          items_[i].DumpTo(out);
        }
        *out += ']';
        return;
      }
      case Type::kObject: {
        *out += '{';
        bool first = true;
        for (const auto& [key, value] : members_) {
          if (!first) *out += ',';
          first = false;
          *out += api::JsonQuote(key);
          *out += ':';
          value.DumpTo(out);
        }
        *out += '}';
        return;
      }
    }
  }

  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string string_;
  std::vector<Json> items_;
  std::map<std::string, Json> members_;
};

// FNV-1a, 64 bits, as 16 upper-case hex digits: the `hash` of a document's
// serverRelativeURL, which clients use only to tell versions apart.
std::string DocumentHash(absl::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return absl::StrFormat("%016X", hash);
}

// --------------------------------------------------------------- schemas

Json Ref(const std::string& schema_name) {
  return Json::Object({{"$ref", absl::StrCat(kSchemaRefPrefix, schema_name)}});
}

Json GroupVersionKind(const std::string& group, const std::string& version,
                      const std::string& kind) {
  return Json::Object({{"group", group}, {"kind", kind}, {"version", version}});
}

// The types whose JSON form is a scalar rather than an object (the codec
// writes them as strings or numbers): Kubernetes describes them as kube-openapi's
// v3 builder does for resource.Quantity, intstr.IntOrString, metav1.Time and
// metav1.MicroTime. nullopt for every other message.
std::optional<Json> ScalarMessageSchema(const Descriptor* descriptor) {
  const std::string& name = descriptor->full_name();
  if (name == "minik8s.meta.v1.Quantity") {
    return Json::Object(
        {{"description", "A fixed-point number with an optional unit suffix: 500m, 128Mi, 2, 1e3."},
         {"oneOf",
          Json::Array({Json::Object({{"type", "string"}}), Json::Object({{"type", "number"}})})}});
  }
  if (name == "minik8s.meta.v1.IntOrString") {
    return Json::Object({{"description", "An int32 or a string: 80, http, 25%."},
                         {"format", "int-or-string"},
                         {"oneOf", Json::Array({Json::Object({{"type", "integer"}}),
                                                Json::Object({{"type", "string"}})})}});
  }
  if (name == "minik8s.certificates.v1.ExtraValue") {
    return Json::Object({{"items", Json::Object({{"type", "string"}})}, {"type", "array"}});
  }
  if (name == "minik8s.meta.v1.Time" || name == "minik8s.meta.v1.MicroTime") {
    return Json::Object(
        {{"description", "An RFC 3339 timestamp."}, {"format", "date-time"}, {"type", "string"}});
  }
  return std::nullopt;
}

// The schema of one value of `field` (the field itself when singular, an
// element when repeated, the value when a map's value field).
Json ValueSchema(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_UINT32:
      return Json::Object({{"format", "int32"}, {"type", "integer"}});
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT64:
      return Json::Object({{"format", "int64"}, {"type", "integer"}});
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return Json::Object({{"format", "double"}, {"type", "number"}});
    case FieldDescriptor::CPPTYPE_FLOAT:
      return Json::Object({{"format", "float"}, {"type", "number"}});
    case FieldDescriptor::CPPTYPE_BOOL:
      return Json::Object({{"type", "boolean"}});
    case FieldDescriptor::CPPTYPE_ENUM:
      return Json::Object({{"type", "string"}});
    case FieldDescriptor::CPPTYPE_STRING:
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        return Json::Object({{"format", "byte"}, {"type", "string"}});
      }
      return Json::Object({{"type", "string"}});
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return Ref(OpenApiSchemaName(field->message_type()));
  }
  return Json::Object();
}

// The x-kubernetes-* extensions the field's options carry
// (k8s/meta/v1/field_options.proto): the patch merge key and strategy that
// strategic merge patch follows, and the list type and map keys.
Json FieldExtensions(const FieldDescriptor* field) {
  namespace meta = minik8s::meta::v1;
  const google::protobuf::FieldOptions& options = field->options();
  Json out = Json::Object();
  if (options.HasExtension(meta::patch_merge_key)) {
    out["x-kubernetes-patch-merge-key"] = options.GetExtension(meta::patch_merge_key);
  }
  if (options.HasExtension(meta::patch_strategy)) {
    out["x-kubernetes-patch-strategy"] = options.GetExtension(meta::patch_strategy);
  }
  if (options.HasExtension(meta::list_type)) {
    out["x-kubernetes-list-type"] = options.GetExtension(meta::list_type);
  }
  if (options.ExtensionSize(meta::list_map_keys) > 0) {
    Json keys = Json::Array();
    for (int i = 0; i < options.ExtensionSize(meta::list_map_keys); ++i) {
      keys.Push(options.GetExtension(meta::list_map_keys, i));
    }
    out["x-kubernetes-list-map-keys"] = keys;
  }
  return out;
}

// A property: a map is an object with additionalProperties, a repeated
// field an array, anything else its value schema; then the field's
// extensions. In OpenAPI 3.0 the siblings of a `$ref` are ignored, so a
// reference that carries extensions is wrapped in a one-element allOf.
Json PropertySchema(const FieldDescriptor* field) {
  Json extensions = FieldExtensions(field);
  Json schema;
  if (field->is_map()) {
    schema =
        Json::Object({{"additionalProperties", ValueSchema(field->message_type()->map_value())},
                      {"type", "object"}});
  } else if (field->is_repeated()) {
    schema = Json::Object({{"items", ValueSchema(field)}, {"type", "array"}});
  } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !extensions.IsEmptyObject()) {
    schema = Json::Object({{"allOf", Json::Array({ValueSchema(field)})}});
  } else {
    schema = ValueSchema(field);
  }
  schema.Merge(extensions);
  return schema;
}

// The schema of a message type: an object with a property per field (by
// JSON name); for a kind or a list kind of the scheme, its
// x-kubernetes-group-version-kind.
Json MessageSchema(const Descriptor* descriptor, const api::Scheme& scheme) {
  if (std::optional<Json> scalar = ScalarMessageSchema(descriptor)) return *scalar;
  Json schema = Json::Object({{"type", "object"}});
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    schema["properties"][field->json_name()] = PropertySchema(field);
  }
  if (const api::KindInfo* kind = scheme.FindByDescriptor(descriptor)) {
    schema["x-kubernetes-group-version-kind"] =
        Json::Array({GroupVersionKind(kind->group, kind->version, kind->kind)});
  } else if (const api::KindInfo* listed = scheme.FindByListDescriptor(descriptor)) {
    schema["x-kubernetes-group-version-kind"] =
        Json::Array({GroupVersionKind(listed->group, listed->version, listed->list_kind)});
  }
  return schema;
}

// Adds the schema of `descriptor` and of every message type it refers to.
void AddSchemas(const Descriptor* descriptor, const api::Scheme& scheme,
                std::map<std::string, Json>* schemas) {
  const std::string name = OpenApiSchemaName(descriptor);
  if (schemas->count(name) > 0) return;
  (*schemas)[name] = MessageSchema(descriptor, scheme);
  if (ScalarMessageSchema(descriptor)) return;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->is_map()) field = field->message_type()->map_value();
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      AddSchemas(field->message_type(), scheme, schemas);
    }
  }
}

// The meta.k8s.io schemas the operations refer to that are not types of
// ours: the PATCH body, the watch event and its raw object.
void AddRequestSchemas(std::map<std::string, Json>* schemas) {
  (*schemas)[kPatchSchema] = Json::Object(
      {{"description",
        "The body of a PATCH request; its form is given by the request's Content-Type."},
       {"type", "object"}});
  (*schemas)[kRawExtensionSchema] =
      Json::Object({{"description", "An embedded object of any kind."}, {"type", "object"}});
  Json watch_event =
      Json::Object({{"properties", Json::Object({{"object", Ref(kRawExtensionSchema)},
                                                 {"type", Json::Object({{"type", "string"}})}})},
                    {"required", Json::Strings({"type", "object"})},
                    {"type", "object"},
                    {"x-kubernetes-group-version-kind",
                     Json::Array({GroupVersionKind("", "v1", "WatchEvent")})}});
  (*schemas)[kWatchEventSchema] = watch_event;
}

// ------------------------------------------------------------ operations

// "Core", "Apps", "Coordination", "RbacAuthorization": the group as
// Kubernetes' operation IDs spell it (without ".k8s.io", each part
// capitalized).
std::string OperationGroup(const std::string& group) {
  if (group.empty()) return "Core";
  absl::string_view name = group;
  absl::ConsumeSuffix(&name, ".k8s.io");
  std::string out;
  for (absl::string_view part : absl::StrSplit(name, '.', absl::SkipEmpty())) {
    std::string word(part);
    word[0] = absl::ascii_toupper(word[0]);
    out += word;
  }
  return out;
}

std::string Capitalized(std::string word) {
  if (!word.empty()) word[0] = absl::ascii_toupper(word[0]);
  return word;
}

// "core_v1", "apps_v1", "coordination_v1".
std::string Tag(const ApiGroupVersion& gv) {
  std::string group = OperationGroup(gv.group);
  group[0] = absl::ascii_tolower(group[0]);
  return absl::StrCat(group, "_", gv.version);
}

struct ParamSpec {
  const char* name;
  const char* type;  // OpenAPI type of the value
};

const ParamSpec kListParams[] = {
    {"allowWatchBookmarks", "boolean"},
    {"continue", "string"},
    {"fieldSelector", "string"},
    {"labelSelector", "string"},
    {"limit", "integer"},
    {"resourceVersion", "string"},
    {"resourceVersionMatch", "string"},
    {"sendInitialEvents", "boolean"},
    {"timeoutSeconds", "integer"},
    {"watch", "boolean"},
};
const ParamSpec kWriteParams[] = {
    {"dryRun", "string"}, {"fieldManager", "string"}, {"fieldValidation", "string"}};
const ParamSpec kPatchParams[] = {{"dryRun", "string"},
                                  {"fieldManager", "string"},
                                  {"fieldValidation", "string"},
                                  {"force", "boolean"}};
const ParamSpec kDeleteParams[] = {{"dryRun", "string"},
                                   {"gracePeriodSeconds", "integer"},
                                   {"orphanDependents", "boolean"},
                                   {"propagationPolicy", "string"}};
const ParamSpec kDeleteCollectionParams[] = {
    {"continue", "string"},           {"dryRun", "string"},
    {"fieldSelector", "string"},      {"gracePeriodSeconds", "integer"},
    {"labelSelector", "string"},      {"limit", "integer"},
    {"orphanDependents", "boolean"},  {"propagationPolicy", "string"},
    {"resourceVersion", "string"},    {"resourceVersionMatch", "string"},
    {"sendInitialEvents", "boolean"}, {"timeoutSeconds", "integer"},
};
const ParamSpec kLogParams[] = {
    {"container", "string"},
    {"follow", "boolean"},
    {"insecureSkipTLSVerifyBackend", "boolean"},
    {"limitBytes", "integer"},
    {"previous", "boolean"},
    {"sinceSeconds", "integer"},
    {"tailLines", "integer"},
    {"timestamps", "boolean"},
};

Json Parameter(const std::string& name, const std::string& in, const std::string& type) {
  Json param = Json::Object({{"in", in},
                             {"name", name},
                             {"schema", Json::Object({{"type", type}, {"uniqueItems", true}})}});
  if (in == "path") param["required"] = true;
  return param;
}

template <size_t N>
Json QueryParameters(const ParamSpec (&specs)[N]) {
  Json out = Json::Array();
  for (const ParamSpec& spec : specs) out.Push(Parameter(spec.name, "query", spec.type));
  return out;
}

// The media types an object (or list) is answered in.
const std::vector<std::string> kObjectMediaTypes = {"application/json",
                                                    "application/vnd.kubernetes.protobuf"};
const std::vector<std::string> kListMediaTypes = {
    "application/json", "application/json;stream=watch", "application/vnd.kubernetes.protobuf",
    "application/vnd.kubernetes.protobuf;stream=watch"};
// What kubectl and client-go send a PATCH as; kubectl builds strategic
// merge patches from the schemas only when the operation lists it.
const std::vector<std::string> kPatchMediaTypes = {
    "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
    "application/strategic-merge-patch+json"};

Json Content(const std::string& schema_name, const std::vector<std::string>& media_types) {
  Json out = Json::Object();
  for (const std::string& type : media_types) {
    out[type] = Json::Object({{"schema", Ref(schema_name)}});
  }
  return out;
}

Json Response(const char* description, Json content) {
  return Json::Object({{"content", std::move(content)}, {"description", description}});
}

Json RequestBody(const std::string& schema_name, const std::vector<std::string>& media_types,
                 bool required) {
  Json body = Json::Object({{"content", Content(schema_name, media_types)}});
  if (required) body["required"] = true;
  return body;
}

// What every operation on one path shares: the group-version, the
// resource entry (resource or subresource) and the names derived from them.
struct PathContext {
  const ApiGroupVersion& gv;
  const ApiResource& resource;

  // The kind read and written at the path (Scale at .../scale).
  const api::KindInfo& kind() const { return *resource.kind; }
  std::string ObjectSchema() const { return OpenApiSchemaName(kind().descriptor); }
  std::string ListSchema() const { return OpenApiSchemaName(kind().list_descriptor); }

  // readAppsV1NamespacedDeploymentScale, deleteCoreV1CollectionNamespacedPod,
  // listCoreV1PodForAllNamespaces: verb, group, version, [Collection],
  // [Namespaced], the resource's kind, the subresource, [suffix].
  std::string OperationId(absl::string_view verb, bool collection = false,
                          bool all_namespaces = false) const {
    return absl::StrCat(
        verb, OperationGroup(gv.group), Capitalized(gv.version), collection ? "Collection" : "",
        resource.namespaced && !all_namespaces ? "Namespaced" : "", resource.strategy->kind().kind,
        Capitalized(resource.subresource), all_namespaces ? "ForAllNamespaces" : "");
  }

  // The fields every operation has: description, operationId, tags,
  // x-kubernetes-action and the group-version-kind of the path's kind.
  Json Operation(const std::string& description, const std::string& operation_id,
                 const char* action) const {
    return Json::Object(
        {{"description", description},
         {"operationId", operation_id},
         {"responses", Json::Object({{"401", Json::Object({{"description", "Unauthorized"}})}})},
         {"tags", Json::Array({Tag(gv)})},
         {"x-kubernetes-action", action},
         {"x-kubernetes-group-version-kind",
          GroupVersionKind(kind().group, kind().version, kind().kind)}});
  }
};

Json ListOperation(const PathContext& c, bool all_namespaces) {
  Json op = c.Operation(absl::StrCat("list or watch objects of kind ", c.kind().kind),
                        c.OperationId("list", false, all_namespaces), "list");
  op["parameters"] = QueryParameters(kListParams);
  op["responses"]["200"] = Response("OK", Content(c.ListSchema(), kListMediaTypes));
  return op;
}

Json CreateOperation(const PathContext& c) {
  Json op = c.Operation(absl::StrCat("create a ", c.kind().kind), c.OperationId("create"), "post");
  op["parameters"] = QueryParameters(kWriteParams);
  op["requestBody"] = RequestBody(c.ObjectSchema(), {"*/*"}, true);
  op["responses"]["200"] = Response("OK", Content(c.ObjectSchema(), kObjectMediaTypes));
  op["responses"]["201"] = Response("Created", Content(c.ObjectSchema(), kObjectMediaTypes));
  op["responses"]["202"] = Response("Accepted", Content(c.ObjectSchema(), kObjectMediaTypes));
  return op;
}

Json ReadOperation(const PathContext& c) {
  Json op =
      c.Operation(absl::StrCat("read the specified ", c.kind().kind), c.OperationId("read"), "get");
  op["responses"]["200"] = Response("OK", Content(c.ObjectSchema(), kObjectMediaTypes));
  return op;
}

// pods/log: the containers' output as text, not an object.
Json ReadLogOperation(const PathContext& c) {
  Json op = c.Operation(absl::StrCat("read log of the specified ", c.kind().kind),
                        c.OperationId("read"), "get");
  op["parameters"] = QueryParameters(kLogParams);
  op["responses"]["200"] = Json::Object(
      {{"content",
        Json::Object(
            {{"text/plain", Json::Object({{"schema", Json::Object({{"type", "string"}})}})}})},
       {"description", "OK"}});
  return op;
}

Json ReplaceOperation(const PathContext& c) {
  Json op = c.Operation(absl::StrCat("replace the specified ", c.kind().kind),
                        c.OperationId("replace"), "put");
  op["parameters"] = QueryParameters(kWriteParams);
  op["requestBody"] = RequestBody(c.ObjectSchema(), {"*/*"}, true);
  op["responses"]["200"] = Response("OK", Content(c.ObjectSchema(), kObjectMediaTypes));
  op["responses"]["201"] = Response("Created", Content(c.ObjectSchema(), kObjectMediaTypes));
  return op;
}

Json PatchOperation(const PathContext& c) {
  Json op = c.Operation(absl::StrCat("partially update the specified ", c.kind().kind),
                        c.OperationId("patch"), "patch");
  op["parameters"] = QueryParameters(kPatchParams);
  op["requestBody"] = RequestBody(kPatchSchema, kPatchMediaTypes, true);
  op["responses"]["200"] = Response("OK", Content(c.ObjectSchema(), kObjectMediaTypes));
  op["responses"]["201"] = Response("Created", Content(c.ObjectSchema(), kObjectMediaTypes));
  return op;
}

Json DeleteOperation(const PathContext& c) {
  const std::string status = OpenApiSchemaName(meta::v1::Status::descriptor());
  Json op =
      c.Operation(absl::StrCat("delete a ", c.kind().kind), c.OperationId("delete"), "delete");
  op["parameters"] = QueryParameters(kDeleteParams);
  op["requestBody"] =
      RequestBody(OpenApiSchemaName(meta::v1::DeleteOptions::descriptor()), {"*/*"}, false);
  op["responses"]["200"] = Response("OK", Content(status, kObjectMediaTypes));
  op["responses"]["202"] = Response("Accepted", Content(status, kObjectMediaTypes));
  return op;
}

Json DeleteCollectionOperation(const PathContext& c) {
  Json op = c.Operation(absl::StrCat("delete collection of ", c.kind().kind),
                        c.OperationId("delete", /*collection=*/true), "deletecollection");
  op["parameters"] = QueryParameters(kDeleteCollectionParams);
  op["requestBody"] =
      RequestBody(OpenApiSchemaName(meta::v1::DeleteOptions::descriptor()), {"*/*"}, false);
  op["responses"]["200"] =
      Response("OK", Content(OpenApiSchemaName(meta::v1::Status::descriptor()), kObjectMediaTypes));
  return op;
}

bool HasVerb(const ApiResource& resource, std::string_view verb) {
  for (const std::string& v : resource.verbs) {
    if (v == verb) return true;
  }
  return false;
}

// The paths of one discovery entry, with an operation per verb it lists:
//   resource:    <prefix>[/namespaces/{namespace}]/<resource>         list, create,
//   deletecollection
//                <prefix>[/namespaces/{namespace}]/<resource>/{name}  get, update, patch, delete
//                <prefix>/<resource> (namespaced only)                 list across namespaces
//   subresource: .../<resource>/{name}/<subresource>                  get, update, patch, create
// (watch is served as ?watch=true on the list paths).
void AddResourcePaths(const ApiGroupVersion& gv, const ApiResource& resource, Json* paths) {
  const PathContext c{gv, resource};
  const std::string plural = resource.strategy->kind().resource;
  const std::string collection =
      resource.namespaced ? absl::StrCat(gv.PathPrefix(), "/namespaces/{namespace}/", plural)
                          : absl::StrCat(gv.PathPrefix(), "/", plural);
  const std::string item = absl::StrCat(collection, "/{name}");

  const Json pretty = Parameter("pretty", "query", "string");
  const Json namespace_param = Parameter("namespace", "path", "string");
  Json collection_params = Json::Array();
  if (resource.namespaced) collection_params.Push(namespace_param);
  collection_params.Push(pretty);
  Json item_params = Json::Array({Parameter("name", "path", "string")});
  if (resource.namespaced) item_params.Push(namespace_param);
  item_params.Push(pretty);

  if (!resource.subresource.empty()) {
    Json& path = (*paths)[absl::StrCat(item, "/", resource.subresource)];
    path["parameters"] = item_params;
    if (HasVerb(resource, "get")) {
      path["get"] = resource.subresource == "log" ? ReadLogOperation(c) : ReadOperation(c);
    }
    if (HasVerb(resource, "update")) path["put"] = ReplaceOperation(c);
    if (HasVerb(resource, "patch")) path["patch"] = PatchOperation(c);
    if (HasVerb(resource, "create")) path["post"] = CreateOperation(c);
    return;
  }

  Json& on_collection = (*paths)[collection];
  on_collection["parameters"] = collection_params;
  if (HasVerb(resource, "list")) on_collection["get"] = ListOperation(c, false);
  if (HasVerb(resource, "create")) on_collection["post"] = CreateOperation(c);
  if (HasVerb(resource, "deletecollection")) on_collection["delete"] = DeleteCollectionOperation(c);

  Json& on_item = (*paths)[item];
  on_item["parameters"] = item_params;
  if (HasVerb(resource, "get")) on_item["get"] = ReadOperation(c);
  if (HasVerb(resource, "update")) on_item["put"] = ReplaceOperation(c);
  if (HasVerb(resource, "patch")) on_item["patch"] = PatchOperation(c);
  if (HasVerb(resource, "delete")) on_item["delete"] = DeleteOperation(c);

  if (resource.namespaced && HasVerb(resource, "list")) {
    Json& across = (*paths)[absl::StrCat(gv.PathPrefix(), "/", plural)];
    across["parameters"] = Json::Array({pretty});
    across["get"] = ListOperation(c, /*all_namespaces=*/true);
  }
}

// ------------------------------------------------------------- documents

// The OpenAPI 3.0 document of one group-version: the paths of its
// resources and the schemas they refer to.
std::string GroupVersionDocument(const ApiGroupVersion& gv, const api::Scheme& scheme) {
  Json paths = Json::Object();
  std::map<std::string, Json> schemas;
  for (const ApiResource& resource : gv.resources) {
    AddResourcePaths(gv, resource, &paths);
    AddSchemas(resource.kind->descriptor, scheme, &schemas);
    if (resource.subresource.empty() && resource.kind->list_descriptor != nullptr) {
      AddSchemas(resource.kind->list_descriptor, scheme, &schemas);
    }
  }
  AddSchemas(meta::v1::DeleteOptions::descriptor(), scheme, &schemas);
  AddSchemas(meta::v1::Status::descriptor(), scheme, &schemas);
  AddRequestSchemas(&schemas);

  Json components_schemas = Json::Object();
  for (auto& [name, schema] : schemas) components_schemas[name] = std::move(schema);
  Json doc =
      Json::Object({{"components", Json::Object({{"schemas", std::move(components_schemas)}})},
                    {"info", Json::Object({{"title", "Kubernetes"}, {"version", "unversioned"}})},
                    {"openapi", "3.0.0"},
                    {"paths", std::move(paths)}});
  return doc.Dump();
}

// "api/v1", "apis/apps/v1": a group-version's key in the index.
std::string IndexKey(const ApiGroupVersion& gv) { return gv.PathPrefix().substr(1); }

}  // namespace

std::string OpenApiSchemaName(const Descriptor* descriptor) {
  const std::string& full_name = descriptor->full_name();
  if (full_name == "minik8s.meta.v1.Quantity") {
    return "io.k8s.apimachinery.pkg.api.resource.Quantity";
  }
  if (full_name == "minik8s.meta.v1.IntOrString") {
    return "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
  }
  absl::string_view name = full_name;
  if (absl::ConsumePrefix(&name, "minik8s.meta.v1.")) return absl::StrCat(kMetaSchemaPrefix, name);
  // minik8s.<group>.<version>.<Kind> mirrors k8s.io/api/<group>/<version>.
  if (absl::ConsumePrefix(&name, "minik8s.")) return absl::StrCat("io.k8s.api.", name);
  return full_name;
}

OpenApiDocs::OpenApiDocs(const Registry& registry) {
  Json index_paths = Json::Object();
  for (const ApiGroupVersion& gv : ServedGroupVersions(registry)) {
    std::string doc = GroupVersionDocument(gv, registry.scheme());
    const std::string key = IndexKey(gv);
    const std::string path = absl::StrCat(kIndexPath, "/", key);
    index_paths[key] =
        Json::Object({{"serverRelativeURL", absl::StrCat(path, "?hash=", DocumentHash(doc))}});
    docs_[path] = std::move(doc);
  }
  docs_[kIndexPath] = Json::Object({{"paths", std::move(index_paths)}}).Dump();
}

OpenApiV2Answer OpenApiV2Document(absl::string_view accept) {
  if (absl::StrContains(accept, "protobuf")) {
    return {.content_type = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
            .body = ""};
  }
  return {.content_type = "application/json",
          .body = R"({"swagger":"2.0","info":{"title":"Kubernetes","version":"unversioned"},)"
                  R"("paths":{},"definitions":{}})"};
}

const std::string* OpenApiDocs::Find(std::string_view path) const {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto it = docs_.find(absl::string_view(path.data(), path.size()));
  return it == docs_.end() ? nullptr : &it->second;
}

}  // namespace minik8s::apiserver::rest
