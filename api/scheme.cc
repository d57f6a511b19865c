#include "api/scheme.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "k8s/authentication/v1/authentication.pb.h"
#include "k8s/autoscaling/v1/autoscaling.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/meta/v1/meta.pb.h"
#include "kinds/scheme_entry.h"

namespace minik8s::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::Message;
using google::protobuf::MessageFactory;

std::unique_ptr<Message> NewOf(const Descriptor* descriptor) {
  if (descriptor == nullptr) return nullptr;
  const Message* prototype = MessageFactory::generated_factory()->GetPrototype(descriptor);
  if (prototype == nullptr) return nullptr;
  return std::unique_ptr<Message>(prototype->New());
}

std::string KindKey(std::string_view api_version, std::string_view kind) {
  return absl::StrCat(std::string(api_version), "/", std::string(kind));
}

// A kind that is not a stored resource and has no list.
template <typename T>
KindInfo Unlisted(std::string group, std::string kind) {
  KindInfo info;
  info.group = std::move(group);
  info.version = "v1";
  info.kind = std::move(kind);
  info.descriptor = T::descriptor();
  return info;
}

void RegisterBuiltins(Scheme* scheme) {
  namespace core = minik8s::core::v1;
  namespace meta = minik8s::meta::v1;
  std::vector<KindInfo> kinds = {
  // Every kind of kinds/kinds.def, in its order; each entry is defined in
  // kinds/<name>/<name>_scheme.cc.
#define MINIK8S_KIND(Name) Name##Scheme(),
#include "kinds/kinds.def"
#undef MINIK8S_KIND
      // The meta kinds: request and response bodies with a type but no
      // resource, storage or list of their own (the pods/binding body, the
      // error Status, the delete body, the scale subresource's body, the
      // serviceaccounts/token subresource's body, the authentication.k8s.io
      // reviews answered without storing: apiserver/authn/reviews.h). They
      // are not kinds of kinds.def, whose entries are served resources.
      Unlisted<core::Binding>("", "Binding"),
      Unlisted<meta::Status>("", "Status"),
      Unlisted<meta::DeleteOptions>("", "DeleteOptions"),
      Unlisted<minik8s::autoscaling::v1::Scale>("autoscaling", "Scale"),
      Unlisted<minik8s::authentication::v1::TokenRequest>("authentication.k8s.io", "TokenRequest"),
      Unlisted<minik8s::authentication::v1::SelfSubjectReview>("authentication.k8s.io",
                                                               "SelfSubjectReview"),
      Unlisted<minik8s::authentication::v1::TokenReview>("authentication.k8s.io", "TokenReview"),
  };
  for (KindInfo& info : kinds) {
    absl::Status status = scheme->Register(std::move(info));
    if (!status.ok()) {
      // A programming error in a kind's entry or in the list above.
      std::fprintf(stderr, "minik8s: built-in scheme: %s\n", status.ToString().c_str());
      std::abort();
    }
  }
}

}  // namespace

std::string KindInfo::GroupResource() const {
  if (group.empty()) return resource;
  return absl::StrCat(resource, ".", group);
}

std::unique_ptr<Message> KindInfo::New() const { return NewOf(descriptor); }

std::unique_ptr<Message> KindInfo::NewList() const { return NewOf(list_descriptor); }

const Scheme& Scheme::Default() {
  static const Scheme* const scheme = [] {
    auto* s = new Scheme();
    RegisterBuiltins(s);
    return s;
  }();
  return *scheme;
}

absl::Status Scheme::Register(KindInfo info) {
  if (info.kind.empty() || info.version.empty() || info.descriptor == nullptr) {
    return absl::InvalidArgumentError("kind registration needs a kind, a version and a descriptor");
  }
  if (info.api_version.empty()) {
    info.api_version =
        info.group.empty() ? info.version : absl::StrCat(info.group, "/", info.version);
  }
  if (!info.list_kind.empty() && info.list_descriptor == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind ", info.kind, ": list kind without a descriptor"));
  }
  const std::string kind_key = KindKey(info.api_version, info.kind);
  if (by_kind_.contains(kind_key)) {
    return absl::AlreadyExistsError(absl::StrCat("kind ", kind_key, " is already registered"));
  }
  if (by_descriptor_.contains(info.descriptor)) {
    return absl::AlreadyExistsError(
        absl::StrCat("message ", info.descriptor->full_name(), " is already registered"));
  }
  // Resource names, unqualified and group-qualified.
  std::vector<std::string> names;
  if (!info.resource.empty()) {
    std::vector<std::string> bases = {info.resource, info.singular,
                                      absl::AsciiStrToLower(info.kind)};
    for (const std::string& s : info.short_names) bases.push_back(s);
    for (const std::string& base : bases) {
      if (base.empty()) continue;
      std::string lower = absl::AsciiStrToLower(base);
      names.push_back(lower);
      if (!info.group.empty()) names.push_back(absl::StrCat(lower, ".", info.group));
    }
    for (const std::string& name : names) {
      auto it = by_resource_.find(name);
      if (it != by_resource_.end()) {
        return absl::AlreadyExistsError(
            absl::StrCat("resource name \"", name, "\" is already used by ", it->second->kind));
      }
    }
  }
  kinds_.push_back(std::make_unique<KindInfo>(std::move(info)));
  const KindInfo* stored = kinds_.back().get();
  by_kind_[kind_key] = stored;
  by_descriptor_[stored->descriptor] = stored;
  if (!stored->list_kind.empty()) {
    by_list_kind_[KindKey(stored->api_version, stored->list_kind)] = stored;
    by_list_descriptor_[stored->list_descriptor] = stored;
  }
  for (const std::string& name : names) by_resource_.emplace(name, stored);
  return absl::OkStatus();
}

const KindInfo* Scheme::FindByKind(std::string_view api_version, std::string_view kind) const {
  auto it = by_kind_.find(KindKey(api_version, kind));
  return it == by_kind_.end() ? nullptr : it->second;
}

const KindInfo* Scheme::FindByListKind(std::string_view api_version,
                                       std::string_view list_kind) const {
  auto it = by_list_kind_.find(KindKey(api_version, list_kind));
  return it == by_list_kind_.end() ? nullptr : it->second;
}

const KindInfo* Scheme::FindByResource(std::string_view name) const {
  auto it = by_resource_.find(absl::AsciiStrToLower(std::string(name)));
  return it == by_resource_.end() ? nullptr : it->second;
}

const KindInfo* Scheme::FindByDescriptor(const Descriptor* descriptor) const {
  auto it = by_descriptor_.find(descriptor);
  return it == by_descriptor_.end() ? nullptr : it->second;
}

const KindInfo* Scheme::FindByListDescriptor(const Descriptor* descriptor) const {
  auto it = by_list_descriptor_.find(descriptor);
  return it == by_list_descriptor_.end() ? nullptr : it->second;
}

absl::Status Scheme::SetTypeMeta(Message* message) const {
  const Descriptor* d = message->GetDescriptor();
  std::string kind;
  const KindInfo* info = FindByDescriptor(d);
  if (info != nullptr) {
    kind = info->kind;
  } else if ((info = FindByListDescriptor(d)) != nullptr) {
    kind = info->list_kind;
  } else {
    return absl::NotFoundError(absl::StrCat("no kind is registered for message ", d->full_name()));
  }
  const auto* api_version_field = d->FindFieldByName("api_version");
  const auto* kind_field = d->FindFieldByName("kind");
  if (api_version_field == nullptr || kind_field == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("message ", d->full_name(), " has no apiVersion/kind fields"));
  }
  const auto* reflection = message->GetReflection();
  reflection->SetString(message, api_version_field, info->api_version);
  reflection->SetString(message, kind_field, kind);
  return absl::OkStatus();
}

}  // namespace minik8s::api
