// Impersonation (apiserver/authz/impersonation.h): which headers ask for
// what, the checks made for each, Kubernetes' messages, and the groups the
// impersonated user ends up with.
#include "apiserver/authz/impersonation.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "api/errors.h"
#include "apiserver/authz/rbac_authorizer.h"

namespace minik8s::apiserver::authz {
namespace {

// Allows what `allowed` lists ("verb resource[/sub] name ns"), records
// every question.
class RecordingAuthorizer : public Authorizer {
 public:
  explicit RecordingAuthorizer(std::vector<std::string> allowed) : allowed_(std::move(allowed)) {}
  Result Authorize(const Attributes& a) const override {
    std::string resource = a.resource;
    if (!a.subresource.empty()) resource += "/" + a.subresource;
    const std::string asked = a.verb + " " + a.api_group + ":" + resource + " " + a.name + " " +
                              a.namespace_ + " by " + a.user->name;
    asked_.push_back(asked);
    for (const std::string& allowed : allowed_) {
      if (asked.rfind(allowed, 0) == 0) return {Decision::kAllow, ""};
    }
    return {Decision::kNoOpinion, ""};
  }
  mutable std::vector<std::string> asked_;

 private:
  std::vector<std::string> allowed_;
};

const authn::UserInfo kAlice{.name = "alice", .groups = {"system:authenticated"}};

TEST(Impersonation, NoHeadersIsNoImpersonation) {
  RecordingAuthorizer authorizer({});
  auto user = Impersonate(&authorizer, kAlice, {{"authorization", "Bearer x"}});
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_FALSE(user->has_value());
  EXPECT_TRUE(authorizer.asked_.empty());
}

TEST(Impersonation, UserGetsAuthenticatedGroupAndEachThingIsChecked) {
  RecordingAuthorizer authorizer({"impersonate "});
  auto user = Impersonate(&authorizer, kAlice,
                          {{"impersonate-user", "bob"},
                           {"impersonate-group", "dev"},
                           {"impersonate-group", "ops"},
                           {"impersonate-uid", "42"},
                           {"impersonate-extra-scopes", "view"},
                           {"impersonate-extra-scopes", "edit"}});
  ASSERT_TRUE(user.ok()) << user.status();
  ASSERT_TRUE(user->has_value());
  EXPECT_EQ((*user)->name, "bob");
  EXPECT_EQ((*user)->uid, "42");
  EXPECT_EQ((*user)->groups, (std::vector<std::string>{"dev", "ops", "system:authenticated"}));
  EXPECT_EQ((*user)->extra.at("scopes"), (std::vector<std::string>{"view", "edit"}));
  EXPECT_EQ(authorizer.asked_,
            (std::vector<std::string>{
                "impersonate :users bob  by alice", "impersonate :groups dev  by alice",
                "impersonate :groups ops  by alice",
                "impersonate authentication.k8s.io:userextras/scopes view  by alice",
                "impersonate authentication.k8s.io:userextras/scopes edit  by alice",
                "impersonate authentication.k8s.io:uids 42  by alice"}));
}

TEST(Impersonation, ExplicitAuthenticationGroupsAreKept) {
  RecordingAuthorizer authorizer({"impersonate "});
  auto user =
      Impersonate(&authorizer, kAlice,
                  {{"impersonate-user", "bob"}, {"impersonate-group", "system:unauthenticated"}});
  ASSERT_TRUE(user.ok());
  EXPECT_EQ((*user)->groups, (std::vector<std::string>{"system:unauthenticated"}));
  auto anonymous = Impersonate(&authorizer, kAlice, {{"impersonate-user", "system:anonymous"}});
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ((*anonymous)->groups, (std::vector<std::string>{"system:unauthenticated"}));
}

TEST(Impersonation, ServiceAccountIsCheckedInItsNamespaceAndGetsItsGroups) {
  RecordingAuthorizer authorizer({"impersonate :serviceaccounts builder ci"});
  auto user =
      Impersonate(&authorizer, kAlice, {{"impersonate-user", "system:serviceaccount:ci:builder"}});
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ((*user)->name, "system:serviceaccount:ci:builder");
  EXPECT_EQ((*user)->groups,
            (std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:ci",
                                      "system:authenticated"}));
  // Not a valid account name: an ordinary user.
  RecordingAuthorizer users({"impersonate :users "});
  auto odd = Impersonate(&users, kAlice, {{"impersonate-user", "system:serviceaccount:Ci:b:x"}});
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_EQ(users.asked_[0], "impersonate :users system:serviceaccount:Ci:b:x  by alice");
}

TEST(Impersonation, RefusedWithKubernetesMessage) {
  RecordingAuthorizer authorizer({"impersonate :users "});
  auto user = Impersonate(&authorizer, kAlice, {{"impersonate-user", "bob"}});
  ASSERT_TRUE(user.ok());
  RecordingAuthorizer none({});
  auto refused = Impersonate(&none, kAlice, {{"impersonate-user", "bob"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.status().message(),
            "users \"bob\" is forbidden: User \"alice\" cannot impersonate resource \"users\" in "
            "API group \"\" at the cluster scope");
  // The first thing refused is named: here the group.
  auto group = Impersonate(&authorizer, kAlice,
                           {{"impersonate-user", "bob"}, {"impersonate-group", "admins"}});
  ASSERT_FALSE(group.ok());
  EXPECT_EQ(group.status().message(),
            "groups \"admins\" is forbidden: User \"alice\" cannot impersonate resource \"groups\" "
            "in API group \"\" at the cluster scope");
  auto extra = Impersonate(&authorizer, kAlice,
                           {{"impersonate-user", "bob"}, {"impersonate-extra-a%2Fb", "v"}});
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.status().message(),
            "userextras.authentication.k8s.io \"v\" is forbidden: User \"alice\" cannot "
            "impersonate resource \"userextras/a/b\" in API group \"authentication.k8s.io\" at "
            "the cluster scope");
}

TEST(Impersonation, GroupsWithoutUserAreRefused) {
  auto refused = Impersonate(
      nullptr, kAlice,
      {{"impersonate-group", "admins"}, {"impersonate-uid", "7"}, {"impersonate-extra-k", "v"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(refused.status().message(),
            "requested [{Group  admins    } {UserExtra  v  authentication.k8s.io/v1  k} {UID  7  "
            "authentication.k8s.io/v1  }] without impersonating a user");
}

TEST(Impersonation, WithRbac) {
  // cluster-admin may impersonate anyone; bob may not.
  StaticPolicySource source;
  Policy policy;
  rbac::v1::ClusterRole admin;
  admin.mutable_metadata()->set_name("impersonator");
  auto* rule = admin.add_rules();
  rule->add_verbs("impersonate");
  rule->add_api_groups("");
  rule->add_resources("users");
  rule->add_resources("groups");
  policy.cluster_roles.push_back(admin);
  rbac::v1::ClusterRoleBinding binding;
  binding.mutable_metadata()->set_name("impersonator");
  binding.mutable_role_ref()->set_kind("ClusterRole");
  binding.mutable_role_ref()->set_name("impersonator");
  auto* subject = binding.add_subjects();
  subject->set_kind("User");
  subject->set_name("alice");
  policy.cluster_role_bindings.push_back(binding);
  source.Set(policy);
  RbacAuthorizer rbac(&source);
  EXPECT_TRUE(Impersonate(&rbac, kAlice, {{"impersonate-user", "bob"}}).ok());
  const authn::UserInfo bob{.name = "bob", .groups = {"system:authenticated"}};
  auto refused = Impersonate(&rbac, bob, {{"impersonate-user", "alice"}});
  ASSERT_FALSE(refused.ok());
  ASSERT_TRUE(api::StatusObject(refused.status()).has_value());
  EXPECT_EQ(api::StatusObject(refused.status())->code(), 403);
  EXPECT_EQ(api::StatusObject(refused.status())->reason(), "Forbidden");
}

}  // namespace
}  // namespace minik8s::apiserver::authz
