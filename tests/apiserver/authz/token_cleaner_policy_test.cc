// The bootstrap policy's kube-system Role and RoleBinding for the
// tokencleaner (Kubernetes' system:controller:token-cleaner): valid, and
// they let system:kube-controller-manager delete Secrets in kube-system
// only.
#include <gtest/gtest.h>

#include <string>

#include "api/validation/validation_rbac.h"
#include "apiserver/authz/bootstrap_policy.h"
#include "apiserver/authz/rbac_authorizer.h"

namespace minik8s::apiserver::authz {
namespace {

const authn::UserInfo kControllerManager{.name = "system:kube-controller-manager",
                                         .groups = {"system:authenticated"}};

bool Allowed(const PolicyIndex& index, const authn::UserInfo& user, const std::string& verb,
             const std::string& ns) {
  Attributes a{.user = &user,
               .verb = verb,
               .resource_request = true,
               .api_version = "v1",
               .resource = "secrets",
               .namespace_ = ns,
               .name = "bootstrap-token-abcdef"};
  return index.Authorize(a).decision == Decision::kAllow;
}

TEST(TokenCleanerPolicy, IsAValidRoleAndBindingInKubeSystem) {
  const Policy policy = BootstrapPolicy();
  ASSERT_EQ(policy.roles.size(), 1u);
  ASSERT_EQ(policy.role_bindings.size(), 1u);
  const auto& role = policy.roles[0];
  EXPECT_EQ(role.metadata().namespace_(), "kube-system");
  EXPECT_EQ(role.metadata().name(), "system:controller:token-cleaner");
  EXPECT_EQ(role.metadata().labels().at("kubernetes.io/bootstrapping"), "rbac-defaults");
  EXPECT_TRUE(validation::ValidateRole(role).empty());
  auto binding = policy.role_bindings[0];
  EXPECT_EQ(binding.metadata().namespace_(), "kube-system");
  EXPECT_EQ(binding.role_ref().kind(), "Role");
  EXPECT_EQ(binding.role_ref().name(), "system:controller:token-cleaner");
  validation::SetRoleBindingDefaults(&binding);
  EXPECT_TRUE(validation::ValidateRoleBinding(binding).empty());
}

TEST(TokenCleanerPolicy, ControllerManagerDeletesSecretsOnlyInKubeSystem) {
  const PolicyIndex index(BootstrapPolicy());
  EXPECT_TRUE(Allowed(index, kControllerManager, "delete", "kube-system"));
  EXPECT_TRUE(Allowed(index, kControllerManager, "watch", "kube-system"));
  EXPECT_FALSE(Allowed(index, kControllerManager, "delete", "default"));
  EXPECT_FALSE(Allowed(index, kControllerManager, "update", "kube-system"));
  const authn::UserInfo bob{.name = "bob", .groups = {"system:authenticated"}};
  EXPECT_FALSE(Allowed(index, bob, "delete", "kube-system"));
}

}  // namespace
}  // namespace minik8s::apiserver::authz
