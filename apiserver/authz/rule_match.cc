#include "apiserver/authz/rule_match.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace minik8s::apiserver::authz {

namespace {

constexpr absl::string_view kAll = "*";

}  // namespace

bool VerbMatches(const rbac::v1::PolicyRule& rule, absl::string_view verb) {
  for (const std::string& v : rule.verbs()) {
    if (v == kAll || v == verb) return true;
  }
  return false;
}

bool ApiGroupMatches(const rbac::v1::PolicyRule& rule, absl::string_view group) {
  for (const std::string& g : rule.api_groups()) {
    if (g == kAll || g == group) return true;
  }
  return false;
}

bool ResourceMatches(const rbac::v1::PolicyRule& rule, absl::string_view combined,
                     absl::string_view subresource) {
  for (const std::string& r : rule.resources()) {
    if (r == kAll || r == combined) return true;
    if (subresource.empty()) continue;
    // `*/scale` covers every resource's scale subresource.
    if (r.size() == subresource.size() + 2 && absl::StartsWith(r, "*/") &&
        absl::EndsWith(r, subresource)) {
      return true;
    }
  }
  return false;
}

bool ResourceNameMatches(const rbac::v1::PolicyRule& rule, absl::string_view name) {
  if (rule.resource_names().empty()) return true;
  for (const std::string& n : rule.resource_names()) {
    if (n == name) return true;
  }
  return false;
}

bool NonResourceUrlMatches(const rbac::v1::PolicyRule& rule, absl::string_view path) {
  for (const std::string& url : rule.non_resource_urls()) {
    if (url == kAll || url == path) return true;
    if (absl::EndsWith(url, "*") &&
        absl::StartsWith(path, absl::string_view(url).substr(0, url.size() - 1))) {
      return true;
    }
  }
  return false;
}

bool RuleAllows(const Attributes& attributes, const rbac::v1::PolicyRule& rule) {
  if (!VerbMatches(rule, attributes.verb)) return false;
  if (!attributes.resource_request) return NonResourceUrlMatches(rule, attributes.path);
  const std::string combined = attributes.subresource.empty()
                                   ? attributes.resource
                                   : absl::StrCat(attributes.resource, "/", attributes.subresource);
  return ApiGroupMatches(rule, attributes.api_group) &&
         ResourceMatches(rule, combined, attributes.subresource) &&
         ResourceNameMatches(rule, attributes.name);
}

}  // namespace minik8s::apiserver::authz
