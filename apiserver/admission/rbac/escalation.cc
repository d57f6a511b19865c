#include "apiserver/admission/rbac/escalation.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/errors.h"

namespace minik8s::apiserver::admission {
namespace {

constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";
constexpr char kMastersGroup[] = "system:masters";

bool Has(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}
bool HasOrStar(const std::vector<std::string>& values, const std::string& value) {
  return Has(values, "*") || Has(values, value);
}

// An owner resource covers `resource` ("pods", "pods/log", "*"): the same,
// "*", "<resource>/*" for its subresources, "*/<sub>" for any resource's sub.
bool ResourceCovered(const std::vector<std::string>& owner, const std::string& resource) {
  if (HasOrStar(owner, resource)) return true;
  const size_t slash = resource.find('/');
  if (slash == std::string::npos) return false;
  return Has(owner, resource.substr(0, slash) + "/*") || Has(owner, "*" + resource.substr(slash));
}

bool UrlCovered(const std::vector<std::string>& owner, const std::string& url) {
  for (const std::string& o : owner) {
    if (o == "*" || o == url) return true;
    if (absl::EndsWith(o, "*") && absl::StartsWith(url, o.substr(0, o.size() - 1))) return true;
  }
  return false;
}

bool AtomCovered(const authz::RuleList& owner, const std::string& verb, const std::string& group,
                 const std::string& resource, const std::string* name) {
  for (const authz::ResourceRuleInfo& rule : owner.resource_rules) {
    if (!HasOrStar(rule.verbs, verb) || !HasOrStar(rule.api_groups, group) ||
        !ResourceCovered(rule.resources, resource)) {
      continue;
    }
    if (rule.resource_names.empty() || (name != nullptr && Has(rule.resource_names, *name))) {
      return true;
    }
  }
  return false;
}

bool UrlAtomCovered(const authz::RuleList& owner, const std::string& verb, const std::string& url) {
  for (const authz::NonResourceRuleInfo& rule : owner.non_resource_rules) {
    if (HasOrStar(rule.verbs, verb) && UrlCovered(rule.non_resource_urls, url)) return true;
  }
  return false;
}

// Go's %q of a []string: ["a" "b"].
std::string Quoted(const google::protobuf::RepeatedPtrField<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& v : values) out.push_back(absl::StrCat("\"", v, "\""));
  return absl::StrCat("[", absl::StrJoin(out, " "), "]");
}
std::string Quoted(const std::vector<std::string>& values) {
  google::protobuf::RepeatedPtrField<std::string> field(values.begin(), values.end());
  return Quoted(field);
}

// Kubernetes' CompactString of a rule.
std::string Compact(const rbac::v1::PolicyRule& rule) {
  std::vector<std::string> parts;
  if (rule.api_groups_size() > 0)
    parts.push_back(absl::StrCat("APIGroups:", Quoted(rule.api_groups())));
  if (rule.resources_size() > 0)
    parts.push_back(absl::StrCat("Resources:", Quoted(rule.resources())));
  if (rule.resource_names_size() > 0) {
    parts.push_back(absl::StrCat("ResourceNames:", Quoted(rule.resource_names())));
  }
  if (rule.non_resource_urls_size() > 0) {
    parts.push_back(absl::StrCat("NonResourceURLs:", Quoted(rule.non_resource_urls())));
  }
  parts.push_back(absl::StrCat("Verbs:", Quoted(rule.verbs())));
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

bool Allowed(const authz::Authorizer& authorizer, const authn::UserInfo& user,
             const std::string& verb, const std::string& resource, const std::string& ns,
             const std::string& name) {
  authz::Attributes a;
  a.user = &user;
  a.verb = verb;
  a.resource_request = true;
  a.api_group = kRbacGroup;
  a.api_version = "*";
  a.resource = resource;
  a.namespace_ = ns;
  a.name = name;
  return authorizer.Authorize(a).decision == authz::Decision::kAllow;
}

}  // namespace

bool CoversRules(const authz::RuleList& owner, const std::vector<rbac::v1::PolicyRule>& servant,
                 std::vector<rbac::v1::PolicyRule>* missing) {
  bool covered = true;
  auto miss = [&](rbac::v1::PolicyRule rule) {
    covered = false;
    if (missing != nullptr) missing->push_back(std::move(rule));
  };
  for (const rbac::v1::PolicyRule& rule : servant) {
    for (const std::string& verb : rule.verbs()) {
      for (const std::string& url : rule.non_resource_urls()) {
        if (UrlAtomCovered(owner, verb, url)) continue;
        rbac::v1::PolicyRule atom;
        atom.add_verbs(verb);
        atom.add_non_resource_urls(url);
        miss(std::move(atom));
      }
      for (const std::string& group : rule.api_groups()) {
        for (const std::string& resource : rule.resources()) {
          auto atom_of = [&](const std::string* name) {
            rbac::v1::PolicyRule atom;
            atom.add_verbs(verb);
            atom.add_api_groups(group);
            atom.add_resources(resource);
            if (name != nullptr) atom.add_resource_names(*name);
            return atom;
          };
          if (rule.resource_names().empty()) {
            if (!AtomCovered(owner, verb, group, resource, nullptr)) miss(atom_of(nullptr));
            continue;
          }
          for (const std::string& name : rule.resource_names()) {
            if (!AtomCovered(owner, verb, group, resource, &name)) miss(atom_of(&name));
          }
        }
      }
    }
  }
  return covered;
}

absl::Status RbacEscalation::Admit(const Attributes& a) const {
  if (a.user == nullptr || a.operation == Operation::kDelete || a.object == nullptr ||
      a.kind == nullptr || a.kind->group != kRbacGroup || !a.subresource.empty()) {
    return absl::OkStatus();
  }
  const authz::Authorizer* authorizer = authorizer_ ? authorizer_() : nullptr;
  if (authorizer == nullptr || Has(a.user->groups, kMastersGroup)) return absl::OkStatus();

  // What the object grants, and where.
  std::vector<rbac::v1::PolicyRule> granted;
  std::string where;  // namespace; "" for cluster-wide
  const std::string& kind = a.kind->kind;
  if (kind == "Role" || kind == "ClusterRole") {
    const bool cluster = kind == "ClusterRole";
    where = cluster ? "" : a.namespace_;
    if (Allowed(*authorizer, *a.user, "escalate", cluster ? "clusterroles" : "roles", where,
                a.name)) {
      return absl::OkStatus();
    }
    const auto& rules = cluster ? static_cast<const rbac::v1::ClusterRole&>(*a.object).rules()
                                : static_cast<const rbac::v1::Role&>(*a.object).rules();
    granted.assign(rules.begin(), rules.end());
  } else if (kind == "RoleBinding" || kind == "ClusterRoleBinding") {
    const bool cluster = kind == "ClusterRoleBinding";
    const rbac::v1::RoleRef& ref =
        cluster ? static_cast<const rbac::v1::ClusterRoleBinding&>(*a.object).role_ref()
                : static_cast<const rbac::v1::RoleBinding&>(*a.object).role_ref();
    where = cluster ? "" : a.namespace_;
    const bool role = ref.kind() == "Role";
    if (Allowed(*authorizer, *a.user, "bind", role ? "roles" : "clusterroles",
                role ? a.namespace_ : where, ref.name())) {
      return absl::OkStatus();
    }
    if (!role_rules_) return absl::OkStatus();
    absl::StatusOr<std::vector<rbac::v1::PolicyRule>> rules =
        role_rules_(ref.kind(), role ? a.namespace_ : "", ref.name());
    if (!rules.ok()) {
      return api::NewForbidden(*a.kind, a.name, std::string(rules.status().message()));
    }
    granted = *std::move(rules);
  } else {
    return absl::OkStatus();
  }

  authz::RuleList held;
  authorizer->RulesFor(*a.user, where, &held);
  std::vector<rbac::v1::PolicyRule> missing;
  if (CoversRules(held, granted, &missing)) return absl::OkStatus();
  std::vector<std::string> lines;
  for (const rbac::v1::PolicyRule& rule : missing) lines.push_back(Compact(rule));
  std::string detail = absl::StrCat("user \"", a.user->name, "\" (groups=", Quoted(a.user->groups),
                                    ") is attempting to grant RBAC permissions not currently "
                                    "held:\n",
                                    absl::StrJoin(lines, "\n"));
  if (!held.errors.empty()) {
    absl::StrAppend(&detail, "; resolution errors: [", absl::StrJoin(held.errors, " "), "]");
  }
  return api::NewForbidden(*a.kind, a.name, detail);
}

}  // namespace minik8s::apiserver::admission
