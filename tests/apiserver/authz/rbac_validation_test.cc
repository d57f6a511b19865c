// Defaulting and validation of the rbac.authorization.k8s.io kinds
// (api/validation/validation_rbac.h), with Kubernetes' messages, and the
// bootstrap policy passes it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/validation/validation_rbac.h"
#include "apiserver/authz/bootstrap_policy.h"

namespace minik8s::validation {
namespace {

std::vector<std::string> Texts(const FieldErrors& errs) {
  std::vector<std::string> out;
  for (const FieldError& e : errs) out.push_back(e.ToString());
  return out;
}

rbac::v1::RoleBinding Binding() {
  rbac::v1::RoleBinding binding;
  binding.mutable_metadata()->set_name("read-pods");
  binding.mutable_metadata()->set_namespace_("default");
  binding.mutable_role_ref()->set_kind("Role");
  binding.mutable_role_ref()->set_name("pod-reader");
  auto* subject = binding.add_subjects();
  subject->set_kind("User");
  subject->set_name("jane");
  SetRoleBindingDefaults(&binding);
  return binding;
}

TEST(RbacValidation, DefaultsTheApiGroups) {
  const rbac::v1::RoleBinding binding = Binding();
  EXPECT_EQ(binding.role_ref().api_group(), "rbac.authorization.k8s.io");
  EXPECT_EQ(binding.subjects(0).api_group(), "rbac.authorization.k8s.io");
  EXPECT_TRUE(ValidateRoleBinding(binding).empty());
}

TEST(RbacValidation, RoleRefAndSubjects) {
  rbac::v1::RoleBinding binding = Binding();
  binding.mutable_role_ref()->set_kind("Secret");
  auto* sa = binding.add_subjects();
  sa->set_kind("ServiceAccount");
  sa->set_name("robot");
  sa->set_api_group("rbac.authorization.k8s.io");
  binding.add_subjects()->set_kind("Robot");
  EXPECT_EQ(Texts(ValidateRoleBinding(binding)),
            (std::vector<std::string>{
                "roleRef.kind: Unsupported value: \"Secret\": supported values: \"Role\", "
                "\"ClusterRole\"",
                "subjects[1].apiGroup: Unsupported value: \"rbac.authorization.k8s.io\": "
                "supported values: \"\"",
                "subjects[2].name: Required value",
                "subjects[2].kind: Unsupported value: \"Robot\": supported values: "
                "\"ServiceAccount\", \"User\", \"Group\""}));

  rbac::v1::ClusterRoleBinding cluster;
  cluster.mutable_metadata()->set_name("x");
  cluster.mutable_role_ref()->set_kind("Role");
  cluster.mutable_role_ref()->set_name("r");
  auto* account = cluster.add_subjects();
  account->set_kind("ServiceAccount");
  account->set_name("robot");
  SetClusterRoleBindingDefaults(&cluster);
  EXPECT_EQ(Texts(ValidateClusterRoleBinding(cluster)),
            (std::vector<std::string>{
                "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
                "subjects[0].namespace: Required value"}));
}

TEST(RbacValidation, RoleRefCannotChange) {
  const rbac::v1::RoleBinding old = Binding();
  rbac::v1::RoleBinding changed = old;
  changed.mutable_role_ref()->set_name("other");
  EXPECT_EQ(Texts(ValidateRoleBindingUpdate(changed, old)),
            (std::vector<std::string>{
                "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", "
                "Kind:\"Role\", Name:\"other\"}: cannot change roleRef"}));
  rbac::v1::RoleBinding more_subjects = old;
  more_subjects.add_subjects()->CopyFrom(old.subjects(0));
  EXPECT_TRUE(ValidateRoleBindingUpdate(more_subjects, old).empty());
}

TEST(RbacValidation, Rules) {
  rbac::v1::Role role;
  role.mutable_metadata()->set_name("a/b");
  role.mutable_metadata()->set_namespace_("default");
  auto* empty = role.add_rules();
  (void)empty;
  auto* urls = role.add_rules();
  urls->add_verbs("get");
  urls->add_non_resource_urls("/healthz");
  EXPECT_EQ(Texts(ValidateRole(role)),
            (std::vector<std::string>{
                "metadata.name: Invalid value: \"a/b\": may not contain '/'",
                "rules[0].verbs: Required value: verbs must contain at least one value",
                "rules[0].apiGroups: Required value: resource rules must supply at least one api "
                "group",
                "rules[0].resources: Required value: resource rules must supply at least one "
                "resource",
                "rules[1].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced "
                "rules cannot apply to non-resource URLs"}));
  // Names with colons are fine (system:node).
  rbac::v1::ClusterRole cluster;
  cluster.mutable_metadata()->set_name("system:node");
  *cluster.add_rules() = *urls;
  EXPECT_TRUE(ValidateClusterRole(cluster).empty());
}

TEST(RbacValidation, BootstrapPolicyIsValid) {
  const apiserver::authz::Policy policy = apiserver::authz::BootstrapPolicy();
  EXPECT_GE(policy.cluster_roles.size(), 11u);
  for (const auto& role : policy.cluster_roles) {
    EXPECT_TRUE(ValidateClusterRole(role).empty()) << role.metadata().name();
  }
  for (auto binding : policy.cluster_role_bindings) {
    SetClusterRoleBindingDefaults(&binding);
    EXPECT_TRUE(ValidateClusterRoleBinding(binding).empty()) << binding.metadata().name();
  }
}

}  // namespace
}  // namespace minik8s::validation
