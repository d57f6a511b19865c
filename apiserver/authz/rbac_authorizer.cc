#include "apiserver/authz/rbac_authorizer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apiserver/authz/rule_match.h"
#include "spdlog/spdlog.h"

namespace minik8s::apiserver::authz {

namespace {

constexpr char kServiceAccountPrefix[] = "system:serviceaccount:";

// The index key of a subject, "" for one that names nobody. `binding_ns` is
// the RoleBinding's namespace ("" for a ClusterRoleBinding).
std::string SubjectKey(const rbac::v1::Subject& subject, const std::string& binding_ns) {
  if (subject.kind() == "User") return absl::StrCat("u:", subject.name());
  if (subject.kind() == "Group") return absl::StrCat("g:", subject.name());
  if (subject.kind() == "ServiceAccount") {
    const std::string& ns = subject.namespace_().empty() ? binding_ns : subject.namespace_();
    if (ns.empty()) return "";
    return absl::StrCat("u:", kServiceAccountPrefix, ns, ":", subject.name());
  }
  return "";
}

template <typename Role>
std::vector<rbac::v1::PolicyRule> RulesOf(const Role& role) {
  return {role.rules().begin(), role.rules().end()};
}

}  // namespace

PolicyIndex::PolicyIndex(const Policy& policy) {
  for (const auto& role : policy.roles) {
    roles_[absl::StrCat(role.metadata().namespace_(), "/", role.metadata().name())] = RulesOf(role);
  }
  for (const auto& role : policy.cluster_roles) {
    cluster_roles_[role.metadata().name()] = RulesOf(role);
  }
  auto cluster_grant = [&](const std::string& name) {
    auto it = cluster_roles_.find(name);
    if (it != cluster_roles_.end()) return Grant{&it->second, ""};
    return Grant{nullptr, absl::StrCat("clusterrole.rbac.authorization.k8s.io \"", name, "\"")};
  };
  for (const auto& binding : policy.cluster_role_bindings) {
    if (binding.role_ref().kind() != "ClusterRole") continue;
    const Grant grant = cluster_grant(binding.role_ref().name());
    OrderedBinding& ordered = cluster_bindings_.emplace_back(OrderedBinding{{}, grant});
    for (const auto& subject : binding.subjects()) {
      const std::string key = SubjectKey(subject, "");
      if (key.empty()) continue;
      cluster_grants_[key].push_back(grant);
      ordered.keys.push_back(key);
    }
  }
  for (const auto& binding : policy.role_bindings) {
    const std::string& ns = binding.metadata().namespace_();
    Grant grant;
    if (binding.role_ref().kind() == "ClusterRole") {
      grant = cluster_grant(binding.role_ref().name());
    } else if (binding.role_ref().kind() == "Role") {
      auto it = roles_.find(absl::StrCat(ns, "/", binding.role_ref().name()));
      grant = it != roles_.end() ? Grant{&it->second, ""}
                                 : Grant{nullptr, absl::StrCat("role.rbac.authorization.k8s.io \"",
                                                               binding.role_ref().name(), "\"")};
    } else {
      continue;
    }
    OrderedBinding& ordered = namespace_bindings_[ns].emplace_back(OrderedBinding{{}, grant});
    for (const auto& subject : binding.subjects()) {
      const std::string key = SubjectKey(subject, ns);
      if (key.empty()) continue;
      namespace_grants_[absl::StrCat(key, "\n", ns)].push_back(grant);
      ordered.keys.push_back(key);
    }
  }
}

void PolicyIndex::RulesFor(const authn::UserInfo& user, const std::string& ns,
                           RuleList* out) const {
  std::vector<std::string> keys;
  keys.push_back(absl::StrCat("u:", user.name));
  for (const std::string& group : user.groups) keys.push_back(absl::StrCat("g:", group));
  auto visit = [&](const std::vector<OrderedBinding>& bindings) {
    for (const OrderedBinding& binding : bindings) {
      const bool applies = std::any_of(
          binding.keys.begin(), binding.keys.end(),
          [&](const auto& k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); });
      if (!applies) continue;
      if (binding.grant.rules == nullptr) {
        out->errors.push_back(absl::StrCat(binding.grant.missing, " not found"));
        continue;
      }
      for (const auto& rule : *binding.grant.rules) {
        if (!rule.resources().empty()) {
          out->resource_rules.push_back(
              {{rule.verbs().begin(), rule.verbs().end()},
               {rule.api_groups().begin(), rule.api_groups().end()},
               {rule.resources().begin(), rule.resources().end()},
               {rule.resource_names().begin(), rule.resource_names().end()}});
        }
        if (!rule.non_resource_urls().empty()) {
          out->non_resource_rules.push_back(
              {{rule.verbs().begin(), rule.verbs().end()},
               {rule.non_resource_urls().begin(), rule.non_resource_urls().end()}});
        }
      }
    }
  };
  visit(cluster_bindings_);
  if (!ns.empty()) {
    auto it = namespace_bindings_.find(ns);
    if (it != namespace_bindings_.end()) visit(it->second);
  }
}

Result PolicyIndex::Authorize(const Attributes& attributes) const {
  if (attributes.user == nullptr) return {Decision::kNoOpinion, ""};
  std::vector<std::string> keys;
  keys.reserve(1 + attributes.user->groups.size());
  keys.push_back(absl::StrCat("u:", attributes.user->name));
  for (const std::string& group : attributes.user->groups)
    keys.push_back(absl::StrCat("g:", group));
  std::vector<std::string> missing;
  auto allows = [&](const std::vector<Grant>& grants) {
    for (const Grant& grant : grants) {
      if (grant.rules == nullptr) {
        missing.push_back(absl::StrCat(grant.missing, " not found"));
        continue;
      }
      for (const auto& rule : *grant.rules) {
        if (RuleAllows(attributes, rule)) return true;
      }
    }
    return false;
  };
  for (const std::string& key : keys) {
    auto it = cluster_grants_.find(key);
    if (it != cluster_grants_.end() && allows(it->second)) return {Decision::kAllow, ""};
  }
  if (!attributes.namespace_.empty()) {
    for (const std::string& key : keys) {
      auto it = namespace_grants_.find(absl::StrCat(key, "\n", attributes.namespace_));
      if (it != namespace_grants_.end() && allows(it->second)) return {Decision::kAllow, ""};
    }
  }
  if (missing.empty()) return {Decision::kNoOpinion, ""};
  // utilerrors.NewAggregate: one error prints as itself, several as [a, b].
  const std::string errors =
      missing.size() == 1 ? missing[0] : absl::StrCat("[", absl::StrJoin(missing, ", "), "]");
  return {Decision::kNoOpinion, absl::StrCat("RBAC: ", errors)};
}

absl::StatusOr<std::shared_ptr<const PolicyIndex>> RbacAuthorizer::Current() const {
  const uint64_t generation = source_->generation();
  {
    absl::MutexLock lock(&mu_);
    if (index_ != nullptr && built_generation_ == generation) return index_;
  }
  absl::MutexLock build(&build_mu_);
  {
    // Another request may have rebuilt while this one waited.
    absl::MutexLock lock(&mu_);
    if (index_ != nullptr && built_generation_ == source_->generation()) return index_;
  }
  // Read the generation before the objects: a change during Load() moves it
  // on again, and the next request rebuilds.
  const uint64_t loading = source_->generation();
  absl::StatusOr<Policy> policy = source_->Load();
  if (!policy.ok()) return policy.status();
  auto index = std::make_shared<const PolicyIndex>(*policy);
  absl::MutexLock lock(&mu_);
  index_ = index;
  built_generation_ = loading;
  return index;
}

Result RbacAuthorizer::Authorize(const Attributes& attributes) const {
  absl::StatusOr<std::shared_ptr<const PolicyIndex>> index = Current();
  if (!index.ok()) {
    spdlog::warn("RBAC: cannot read the policy: {}", std::string(index.status().message()));
    return {Decision::kNoOpinion, absl::StrCat("RBAC: ", index.status().message())};
  }
  return (*index)->Authorize(attributes);
}

void RbacAuthorizer::RulesFor(const authn::UserInfo& user, const std::string& ns,
                              RuleList* out) const {
  absl::StatusOr<std::shared_ptr<const PolicyIndex>> index = Current();
  if (!index.ok()) {
    out->errors.push_back(std::string(index.status().message()));
    return;
  }
  (*index)->RulesFor(user, ns, out);
}

void StaticPolicySource::Set(Policy policy) {
  absl::MutexLock lock(&mu_);
  policy_ = std::move(policy);
  generation_.fetch_add(1);
}

absl::StatusOr<Policy> StaticPolicySource::Load() const {
  absl::MutexLock lock(&mu_);
  return policy_;
}

}  // namespace minik8s::apiserver::authz
