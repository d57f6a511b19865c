#include "client/resource.h"

#include <cstdlib>
#include <map>

#include "absl/strings/str_cat.h"
#include "api/scheme.h"

namespace minik8s::client {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using minik8s::meta::v1::ObjectMeta;

// Message full name → resource: every stored kind of the API scheme, plus
// what RegisterResource added.
std::map<std::string, ResourceInfo, std::less<>>& Table() {
  static auto* table = [] {
    auto* t = new std::map<std::string, ResourceInfo, std::less<>>();
    for (const auto& k : api::Scheme::Default().kinds()) {
      if (k->resource.empty() || k->descriptor == nullptr) continue;
      (*t)[k->descriptor->full_name()] =
          ResourceInfo{k->resource, k->kind, k->api_version, k->group, k->namespaced};
    }
    return t;
  }();
  return *table;
}

const FieldDescriptor* MetadataField(const Descriptor* d) {
  const FieldDescriptor* f = d->FindFieldByName("metadata");
  if (f == nullptr || f->type() != FieldDescriptor::TYPE_MESSAGE ||
      f->message_type() != ObjectMeta::descriptor() || f->is_repeated()) {
    return nullptr;
  }
  return f;
}

}  // namespace

std::string ResourceInfo::GroupResource() const {
  return group.empty() ? resource : absl::StrCat(resource, ".", group);
}

const ResourceInfo* ResourceFor(const Descriptor* descriptor) {
  if (descriptor == nullptr) return nullptr;
  auto& table = Table();
  auto it = table.find(descriptor->full_name());
  return it == table.end() ? nullptr : &it->second;
}

void RegisterResource(std::string message_full_name, ResourceInfo info) {
  Table()[std::move(message_full_name)] = std::move(info);
}

const ObjectMeta& MetaOf(const Message& object) {
  const FieldDescriptor* f = MetadataField(object.GetDescriptor());
  if (f == nullptr) return ObjectMeta::default_instance();
  const Message& m = object.GetReflection()->GetMessage(object, f);
  // Generated messages of the same type: the static cast is exact.
  return static_cast<const ObjectMeta&>(m);
}

ObjectMeta* MutableMetaOf(Message* object) {
  const FieldDescriptor* f = MetadataField(object->GetDescriptor());
  if (f == nullptr) return nullptr;
  return static_cast<ObjectMeta*>(object->GetReflection()->MutableMessage(object, f));
}

std::string MakeKey(absl::string_view ns, absl::string_view name) {
  if (ns.empty()) return std::string(name);
  return absl::StrCat(ns, "/", name);
}

std::string KeyOf(const Message& object) {
  const ObjectMeta& meta = MetaOf(object);
  return MakeKey(meta.namespace_(), meta.name());
}

void SplitKey(absl::string_view key, std::string* ns, std::string* name) {
  size_t slash = key.find('/');
  if (slash == absl::string_view::npos) {
    ns->clear();
    *name = std::string(key);
  } else {
    *ns = std::string(key.substr(0, slash));
    *name = std::string(key.substr(slash + 1));
  }
}

}  // namespace minik8s::client
