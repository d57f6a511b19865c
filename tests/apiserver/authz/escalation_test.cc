// RBAC's escalation prevention (apiserver/admission/rbac/escalation.h):
// rule covering as Kubernetes does it, and the plugin's answers for roles
// and bindings with RBAC's own authorizer behind it.
#include "apiserver/admission/rbac/escalation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "api/scheme.h"
#include "apiserver/authz/rbac_authorizer.h"

namespace minik8s::apiserver::admission {
namespace {

rbac::v1::PolicyRule Rule(std::vector<std::string> verbs, std::vector<std::string> groups,
                          std::vector<std::string> resources, std::vector<std::string> names = {}) {
  rbac::v1::PolicyRule r;
  for (auto& v : verbs) r.add_verbs(v);
  for (auto& g : groups) r.add_api_groups(g);
  for (auto& x : resources) r.add_resources(x);
  for (auto& n : names) r.add_resource_names(n);
  return r;
}

authz::RuleList Owner(std::vector<authz::ResourceRuleInfo> rules,
                      std::vector<authz::NonResourceRuleInfo> urls = {}) {
  authz::RuleList list;
  list.resource_rules = std::move(rules);
  list.non_resource_rules = std::move(urls);
  return list;
}

TEST(CoversRules, AsKubernetes) {
  const authz::RuleList owner = Owner({{{"get", "list"}, {""}, {"pods", "services/*"}, {}},
                                       {{"*"}, {"apps"}, {"deployments"}, {}},
                                       {{"get"}, {""}, {"secrets"}, {"db"}}},
                                      {{{"get"}, {"/healthz", "/metrics*"}}});
  EXPECT_TRUE(CoversRules(owner, {Rule({"get"}, {""}, {"pods"})}, nullptr));
  EXPECT_TRUE(CoversRules(owner, {Rule({"list"}, {""}, {"services/status"})}, nullptr));
  EXPECT_TRUE(CoversRules(owner, {Rule({"delete", "create"}, {"apps"}, {"deployments"})}, nullptr));
  EXPECT_TRUE(CoversRules(owner, {Rule({"get"}, {""}, {"secrets"}, {"db"})}, nullptr));
  rbac::v1::PolicyRule urls;
  urls.add_verbs("get");
  urls.add_non_resource_urls("/metrics/cadvisor");
  EXPECT_TRUE(CoversRules(owner, {urls}, nullptr));

  std::vector<rbac::v1::PolicyRule> missing;
  EXPECT_FALSE(CoversRules(owner,
                           {Rule({"get", "delete"}, {""}, {"pods"}),
                            Rule({"get"}, {""}, {"secrets"}),  // every secret, not just db
                            Rule({"get"}, {""}, {"*"})},
                           &missing));
  ASSERT_EQ(missing.size(), 3u);
  EXPECT_EQ(missing[0].verbs(0), "delete");
  EXPECT_EQ(missing[1].resources(0), "secrets");
  EXPECT_EQ(missing[2].resources(0), "*");
}

class EscalationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    authz::Policy policy;
    // bob may manage RBAC objects in "dev" and read pods there.
    rbac::v1::Role manager;
    manager.mutable_metadata()->set_name("rbac-manager");
    manager.mutable_metadata()->set_namespace_("dev");
    // Not "*": that would include escalate and bind.
    *manager.add_rules() = Rule({"create", "update", "get", "list", "delete"},
                                {"rbac.authorization.k8s.io"}, {"roles", "rolebindings"});
    *manager.add_rules() = Rule({"get", "list"}, {""}, {"pods"});
    policy.roles.push_back(manager);
    rbac::v1::ClusterRole admin;
    admin.mutable_metadata()->set_name("admin-like");
    *admin.add_rules() = Rule({"*"}, {"*"}, {"*"});
    policy.cluster_roles.push_back(admin);
    rbac::v1::RoleBinding binding;
    binding.mutable_metadata()->set_name("bob");
    binding.mutable_metadata()->set_namespace_("dev");
    binding.mutable_role_ref()->set_kind("Role");
    binding.mutable_role_ref()->set_name("rbac-manager");
    auto* subject = binding.add_subjects();
    subject->set_kind("User");
    subject->set_name("bob");
    policy.role_bindings.push_back(binding);
    source_.Set(policy);
    roles_ = policy;
  }

  absl::Status Admit(const google::protobuf::Message& object, const std::string& resource,
                     const authn::UserInfo& user) {
    RbacEscalation plugin(
        [this] { return &authorizer_; },
        [this](const std::string& kind, const std::string& ns,
               const std::string& name) -> absl::StatusOr<std::vector<rbac::v1::PolicyRule>> {
          for (const auto& r : roles_.cluster_roles) {
            if (kind == "ClusterRole" && r.metadata().name() == name) {
              return std::vector<rbac::v1::PolicyRule>(r.rules().begin(), r.rules().end());
            }
          }
          for (const auto& r : roles_.roles) {
            if (kind == "Role" && r.metadata().name() == name && r.metadata().namespace_() == ns) {
              return std::vector<rbac::v1::PolicyRule>(r.rules().begin(), r.rules().end());
            }
          }
          return absl::NotFoundError("no such role");
        });
    auto kind = api::Scheme::Default().FindByResource(resource);
    EXPECT_TRUE(kind != nullptr) << resource;
    Attributes a;
    a.user = &user;
    a.operation = Operation::kCreate;
    a.kind = kind;
    a.namespace_ = "dev";
    a.name = "x";
    a.object = &object;
    return plugin.Admit(a);
  }

  authz::StaticPolicySource source_;
  authz::RbacAuthorizer authorizer_{&source_};
  authz::Policy roles_;
  authn::UserInfo bob_{.name = "bob", .groups = {"system:authenticated"}};
};

TEST_F(EscalationTest, ARoleWithinWhatTheCallerHoldsIsAllowed) {
  rbac::v1::Role role;
  *role.add_rules() = Rule({"get"}, {""}, {"pods"});
  EXPECT_TRUE(Admit(role, "roles", bob_).ok());
}

TEST_F(EscalationTest, ARoleGrantingMoreIsRefusedWithKubernetesMessage) {
  rbac::v1::Role role;
  *role.add_rules() = Rule({"get", "delete"}, {""}, {"pods"});
  absl::Status s = Admit(role, "roles", bob_);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(
      s.message(),
      "roles.rbac.authorization.k8s.io \"x\" is forbidden: user \"bob\" "
      "(groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently "
      "held:\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}"))
      << s;
}

TEST_F(EscalationTest, EscalateAndBindVerbsLetTheCallerGrantMore) {
  rbac::v1::Role role;
  *role.add_rules() = Rule({"*"}, {"*"}, {"*"});
  ASSERT_FALSE(Admit(role, "roles", bob_).ok());
  authz::Policy policy = roles_;
  *policy.roles[0].add_rules() =
      Rule({"escalate", "bind"}, {"rbac.authorization.k8s.io"}, {"roles", "clusterroles"});
  source_.Set(policy);
  EXPECT_TRUE(Admit(role, "roles", bob_).ok());
  rbac::v1::RoleBinding binding;
  binding.mutable_role_ref()->set_kind("ClusterRole");
  binding.mutable_role_ref()->set_name("admin-like");
  EXPECT_TRUE(Admit(binding, "rolebindings", bob_).ok());
}

TEST_F(EscalationTest, BindingARoleNeedsItsPermissionsOrBind) {
  rbac::v1::RoleBinding binding;
  binding.mutable_role_ref()->set_kind("ClusterRole");
  binding.mutable_role_ref()->set_name("admin-like");
  auto* subject = binding.add_subjects();
  subject->set_kind("User");
  subject->set_name("bob");
  absl::Status s = Admit(binding, "rolebindings", bob_);
  EXPECT_TRUE(
      absl::StrContains(s.message(), "{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}"))
      << s;
  // Its own role, whose rules bob holds, may be bound.
  binding.mutable_role_ref()->set_kind("Role");
  binding.mutable_role_ref()->set_name("rbac-manager");
  EXPECT_TRUE(Admit(binding, "rolebindings", bob_).ok());
  // system:masters is never refused.
  binding.mutable_role_ref()->set_kind("ClusterRole");
  binding.mutable_role_ref()->set_name("admin-like");
  authn::UserInfo admin{.name = "kubernetes-admin", .groups = {"system:masters"}};
  EXPECT_TRUE(Admit(binding, "rolebindings", admin).ok());
}

}  // namespace
}  // namespace minik8s::apiserver::admission
