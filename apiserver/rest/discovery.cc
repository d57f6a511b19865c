#include "apiserver/rest/discovery.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/yaml_scalar.h"
#include "apiserver/authn/reviews.h"
#include "apiserver/authn/self_subject_review.h"
#include "apiserver/authz/access_review.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver::rest {
namespace {

// The verbs kube-apiserver lists for a stored resource and for each
// subresource kind we serve.
const std::vector<std::string> kResourceVerbs = {"create", "delete", "deletecollection", "get",
                                                 "list",   "patch",  "update",           "watch"};
const std::vector<std::string> kStatusVerbs = {"get", "patch", "update"};
const std::vector<std::string> kScaleVerbs = {"get", "patch", "update"};
const std::vector<std::string> kBindingVerbs = {"create"};
const std::vector<std::string> kTokenVerbs = {"create"};
const std::vector<std::string> kLogVerbs = {"get"};

ApiResource Subresource(const ApiResource& parent, std::string subresource,
                        const api::KindInfo* kind, const std::vector<std::string>& verbs) {
  ApiResource out;
  out.name = absl::StrCat(parent.name, "/", subresource);
  out.subresource = std::move(subresource);
  out.namespaced = parent.namespaced;
  out.kind = kind;
  out.verbs = verbs;
  out.strategy = parent.strategy;
  return out;
}

// The resource of `strategy` followed by its subresources.
std::vector<ApiResource> ResourcesOf(const Strategy& strategy, const api::Scheme& scheme) {
  const api::KindInfo& kind = strategy.kind();
  ApiResource main;
  main.name = kind.resource;
  main.singular_name = kind.singular;
  main.namespaced = kind.namespaced;
  main.kind = &kind;
  main.verbs = kResourceVerbs;
  main.short_names = kind.short_names;
  main.categories = strategy.traits().categories;
  main.strategy = &strategy;

  std::vector<ApiResource> out = {main};
  const Strategy::Traits& traits = strategy.traits();
  if (traits.approval_subresource) {
    out.push_back(Subresource(main, "approval", &kind, kStatusVerbs));
  }
  if (traits.binding_subresource) {
    const api::KindInfo* binding = scheme.FindByKind("v1", "Binding");
    if (binding != nullptr) {
      out.push_back(Subresource(main, "binding", binding, kBindingVerbs));
    } else {
      spdlog::error("discovery: {}/binding: the scheme has no v1 Binding", kind.resource);
    }
  }
  if (traits.log_subresource) out.push_back(Subresource(main, "log", &kind, kLogVerbs));
  if (traits.token_subresource) {
    const api::KindInfo* token = scheme.FindByKind("authentication.k8s.io/v1", "TokenRequest");
    if (token != nullptr) {
      out.push_back(Subresource(main, "token", token, kTokenVerbs));
    } else {
      spdlog::error("discovery: {}/token: the scheme has no authentication.k8s.io/v1 TokenRequest",
                    kind.resource);
    }
  }
  if (strategy.has_scale()) {
    const api::KindInfo* scale = scheme.FindByKind("autoscaling/v1", "Scale");
    if (scale != nullptr) {
      out.push_back(Subresource(main, "scale", scale, kScaleVerbs));
    } else {
      spdlog::error("discovery: {}/scale: the scheme has no autoscaling/v1 Scale", kind.resource);
    }
  }
  if (traits.status_subresource) out.push_back(Subresource(main, "status", &kind, kStatusVerbs));
  return out;
}

std::string QuotedList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ",";
    out += api::JsonQuote(items[i]);
  }
  return out + "]";
}

// {"groupVersion":"apps/v1","version":"v1"}
std::string GroupVersionForDiscovery(const ApiGroupVersion& gv) {
  return absl::StrCat("{\"groupVersion\":", api::JsonQuote(gv.GroupVersion()),
                      ",\"version\":", api::JsonQuote(gv.version), "}");
}

std::string ServerAddresses(const std::string& server_address) {
  return absl::StrCat(
      "[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":", api::JsonQuote(server_address), "}]");
}

// One APIResource object. `group` and `version` appear only when the kind
// at the path is of another group-version than the list (a Scale).
std::string ResourceJson(const ApiResource& r, const ApiGroupVersion& gv) {
  std::string out = absl::StrCat("{\"name\":", api::JsonQuote(r.name),
                                 ",\"singularName\":", api::JsonQuote(r.singular_name),
                                 ",\"namespaced\":", r.namespaced ? "true" : "false");
  if (r.kind->group != gv.group || r.kind->version != gv.version) {
    absl::StrAppend(&out, ",\"group\":", api::JsonQuote(r.kind->group),
                    ",\"version\":", api::JsonQuote(r.kind->version));
  }
  absl::StrAppend(&out, ",\"kind\":", api::JsonQuote(r.kind->kind),
                  ",\"verbs\":", QuotedList(r.verbs));
  if (!r.short_names.empty()) absl::StrAppend(&out, ",\"shortNames\":", QuotedList(r.short_names));
  if (!r.categories.empty()) absl::StrAppend(&out, ",\"categories\":", QuotedList(r.categories));
  return out + "}";
}

// APIResourceList. kube-apiserver leaves apiVersion out for the core group
// (a compatibility rule kept since release 1.1) and writes "v1" otherwise.
std::string ResourceListJson(const ApiGroupVersion& gv) {
  std::string out = "{\"kind\":\"APIResourceList\",";
  if (!gv.group.empty()) out += "\"apiVersion\":\"v1\",";
  absl::StrAppend(&out, "\"groupVersion\":", api::JsonQuote(gv.GroupVersion()), ",\"resources\":[");
  for (size_t i = 0; i < gv.resources.size(); ++i) {
    if (i > 0) out += ",";
    out += ResourceJson(gv.resources[i], gv);
  }
  return out + "]}";
}

// The members of an APIGroup object shared by /apis and /apis/<group>:
// name, versions and the preferred (first registered) version.
std::string GroupMembers(const std::vector<const ApiGroupVersion*>& versions) {
  std::vector<std::string> items;
  for (const ApiGroupVersion* gv : versions) items.push_back(GroupVersionForDiscovery(*gv));
  return absl::StrCat("\"name\":", api::JsonQuote(versions.front()->group), ",\"versions\":[",
                      absl::StrJoin(items, ","),
                      "],\"preferredVersion\":", GroupVersionForDiscovery(*versions.front()));
}

}  // namespace

std::string ApiGroupVersion::GroupVersion() const {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

std::string ApiGroupVersion::PathPrefix() const {
  return group.empty() ? absl::StrCat("/api/", version)
                       : absl::StrCat("/apis/", group, "/", version);
}

std::vector<ApiGroupVersion> ServedGroupVersions(const Registry& registry) {
  std::vector<ApiGroupVersion> out;
  auto find_or_add = [&out](const api::KindInfo& kind) -> ApiGroupVersion& {
    for (ApiGroupVersion& gv : out) {
      if (gv.group == kind.group && gv.version == kind.version) return gv;
    }
    out.push_back(ApiGroupVersion{kind.group, kind.version, {}});
    return out.back();
  };
  for (const auto& strategy : registry.strategies()) {
    if (strategy->kind().resource.empty()) continue;
    ApiGroupVersion& gv = find_or_add(strategy->kind());
    for (ApiResource& r : ResourcesOf(*strategy, registry.scheme())) {
      gv.resources.push_back(std::move(r));
    }
  }
  for (ApiGroupVersion& gv : out) {
    std::stable_sort(gv.resources.begin(), gv.resources.end(),
                     [](const ApiResource& a, const ApiResource& b) { return a.name < b.name; });
  }
  // The core group first, the others in registration order.
  std::stable_partition(out.begin(), out.end(),
                        [](const ApiGroupVersion& gv) { return gv.group.empty(); });
  return out;
}

DiscoveryDocs::DiscoveryDocs(const Registry& registry, std::string server_address) {
  const std::vector<ApiGroupVersion> served = ServedGroupVersions(registry);
  const std::string addresses = ServerAddresses(server_address);

  // Versions of each group, groups in order of first appearance.
  std::vector<std::vector<const ApiGroupVersion*>> groups;
  std::vector<std::string> core_versions;
  for (const ApiGroupVersion& gv : served) {
    docs_[gv.PathPrefix()] = ResourceListJson(gv);
    if (gv.group.empty()) {
      core_versions.push_back(gv.version);
      continue;
    }
    auto it = std::find_if(groups.begin(), groups.end(), [&gv](const auto& versions) {
      return versions.front()->group == gv.group;
    });
    if (it == groups.end()) {
      groups.push_back({&gv});
    } else {
      it->push_back(&gv);
    }
  }

  // The authorization.k8s.io reviews (authz/access_review.h): create-only
  // and never stored, so the registry does not know them.
  std::deque<api::KindInfo> review_kinds;
  ApiGroupVersion reviews{authz::kAccessReviewGroup, "v1", {}};
  for (const char* resource :
       {authz::kLocalSubjectAccessReviewResource, authz::kAccessReviewResource,
        authz::kRulesReviewResource, authz::kSubjectAccessReviewResource}) {
    api::KindInfo& kind = review_kinds.emplace_back();
    kind.group = reviews.group;
    kind.version = reviews.version;
    kind.kind = authz::ReviewKind(resource);
    ApiResource r;
    r.name = resource;
    r.singular_name = r.name.substr(0, r.name.size() - 1);
    r.namespaced = authz::IsNamespacedReview(resource);
    r.kind = &kind;
    r.verbs = {"create"};
    reviews.resources.push_back(std::move(r));
  }
  docs_[reviews.PathPrefix()] = ResourceListJson(reviews);
  groups.push_back({&reviews});
  // authentication.k8s.io (authn/reviews.h): SelfSubjectReview (`kubectl
  // auth whoami`) and TokenReview, create-only and never stored.
  ApiGroupVersion authentication{authn::kAuthenticationGroup, "v1", {}};
  for (const authn::AuthenticationReview& review : authn::AuthenticationReviews()) {
    api::KindInfo& kind = review_kinds.emplace_back();
    kind.group = authentication.group;
    kind.version = authentication.version;
    kind.kind = review.kind;
    ApiResource r;
    r.name = review.resource;
    r.singular_name = review.singular;
    r.kind = &kind;
    r.verbs = {"create"};
    authentication.resources.push_back(std::move(r));
  }
  docs_[authentication.PathPrefix()] = ResourceListJson(authentication);
  groups.push_back({&authentication});

  // APIVersions: written without apiVersion, like APIGroupList.
  docs_["/api"] = absl::StrCat("{\"kind\":\"APIVersions\",\"versions\":", QuotedList(core_versions),
                               ",\"serverAddressByClientCIDRs\":", addresses, "}");
  std::vector<std::string> group_items;
  for (const auto& versions : groups) {
    group_items.push_back(absl::StrCat("{", GroupMembers(versions),
                                       ",\"serverAddressByClientCIDRs\":", addresses, "}"));
    docs_[absl::StrCat("/apis/", versions.front()->group)] =
        absl::StrCat("{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",", GroupMembers(versions), "}");
  }
  docs_["/apis"] = absl::StrCat("{\"kind\":\"APIGroupList\",\"groups\":[",
                                absl::StrJoin(group_items, ","), "]}");
}

const std::string* DiscoveryDocs::Find(std::string_view path) const {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto it = docs_.find(absl::string_view(path.data(), path.size()));
  return it == docs_.end() ? nullptr : &it->second;
}

}  // namespace minik8s::apiserver::rest
