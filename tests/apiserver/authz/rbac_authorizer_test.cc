// The authorizers (apiserver/authz/authorizer.h, rbac_authorizer.h):
// bindings by subject, RoleBindings in their namespace only, service
// accounts, missing roles, system:masters, the modes, Kubernetes' forbidden
// messages, and the bootstrap policy's grants.
#include "apiserver/authz/rbac_authorizer.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/errors.h"
#include "apiserver/authz/access_review.h"
#include "apiserver/authz/authorizer.h"
#include "apiserver/authz/bootstrap_policy.h"

namespace minik8s::apiserver::authz {
namespace {

using Strings = std::initializer_list<const char*>;

rbac::v1::PolicyRule Rule(Strings verbs, Strings groups, Strings resources, Strings names = {}) {
  rbac::v1::PolicyRule rule;
  for (const char* v : verbs) rule.add_verbs(v);
  for (const char* g : groups) rule.add_api_groups(g);
  for (const char* r : resources) rule.add_resources(r);
  for (const char* n : names) rule.add_resource_names(n);
  return rule;
}

rbac::v1::Role NamespacedRole(const char* ns, const char* name, rbac::v1::PolicyRule rule) {
  rbac::v1::Role role;
  role.mutable_metadata()->set_namespace_(ns);
  role.mutable_metadata()->set_name(name);
  *role.add_rules() = std::move(rule);
  return role;
}

rbac::v1::ClusterRole ClusterRole(const char* name, std::vector<rbac::v1::PolicyRule> rules) {
  rbac::v1::ClusterRole role;
  role.mutable_metadata()->set_name(name);
  for (auto& rule : rules) *role.add_rules() = std::move(rule);
  return role;
}

template <typename Binding>
Binding Bind(const char* ref_kind, const char* ref_name,
             std::vector<std::pair<const char*, const char*>> subjects, const char* ns = "") {
  Binding binding;
  binding.mutable_metadata()->set_name("b");
  binding.mutable_metadata()->set_namespace_(ns);
  binding.mutable_role_ref()->set_api_group("rbac.authorization.k8s.io");
  binding.mutable_role_ref()->set_kind(ref_kind);
  binding.mutable_role_ref()->set_name(ref_name);
  for (const auto& [kind, name] : subjects) {
    auto* subject = binding.add_subjects();
    subject->set_kind(kind);
    subject->set_name(name);
  }
  return binding;
}

Attributes Request(const authn::UserInfo& user, const char* verb, const char* group,
                   const char* resource, const char* ns = "", const char* name = "",
                   const char* subresource = "") {
  Attributes a;
  a.user = &user;
  a.verb = verb;
  a.resource_request = true;
  a.api_group = group;
  a.resource = resource;
  a.namespace_ = ns;
  a.name = name;
  a.subresource = subresource;
  return a;
}

Attributes Path(const authn::UserInfo& user, const char* verb, const char* path) {
  Attributes a;
  a.user = &user;
  a.verb = verb;
  a.path = path;
  return a;
}

bool Allowed(const Authorizer& authorizer, const Attributes& attributes) {
  return authorizer.Authorize(attributes).decision == Decision::kAllow;
}

const authn::UserInfo kBob{.name = "bob", .groups = {"system:authenticated"}};
const authn::UserInfo kDev{.name = "carol", .groups = {"dev", "system:authenticated"}};

TEST(RbacAuthorizer, ClusterRoleBindingGrantsEverywhereRoleBindingInItsNamespace) {
  StaticPolicySource source;
  Policy policy;
  policy.cluster_roles.push_back(
      ClusterRole("pod-reader", {Rule({"get", "list"}, {""}, {"pods"})}));
  policy.cluster_role_bindings.push_back(
      Bind<rbac::v1::ClusterRoleBinding>("ClusterRole", "pod-reader", {{"User", "bob"}}));
  policy.roles.push_back(NamespacedRole("team", "deleter", Rule({"delete"}, {""}, {"pods"})));
  policy.role_bindings.push_back(
      Bind<rbac::v1::RoleBinding>("Role", "deleter", {{"Group", "dev"}}, "team"));
  // A RoleBinding may grant a ClusterRole's rules within its namespace.
  policy.role_bindings.push_back(
      Bind<rbac::v1::RoleBinding>("ClusterRole", "pod-reader", {{"Group", "dev"}}, "team"));
  source.Set(policy);
  RbacAuthorizer rbac(&source);

  EXPECT_TRUE(Allowed(rbac, Request(kBob, "get", "", "pods", "default", "web")));
  EXPECT_TRUE(Allowed(rbac, Request(kBob, "list", "", "pods")));  // across namespaces
  EXPECT_FALSE(Allowed(rbac, Request(kBob, "delete", "", "pods", "team", "web")));

  EXPECT_TRUE(Allowed(rbac, Request(kDev, "delete", "", "pods", "team", "web")));
  EXPECT_TRUE(Allowed(rbac, Request(kDev, "get", "", "pods", "team", "web")));
  EXPECT_FALSE(Allowed(rbac, Request(kDev, "delete", "", "pods", "default", "web")));
  EXPECT_FALSE(Allowed(rbac, Request(kDev, "get", "", "pods", "default", "web")));
  // Not at the cluster scope: a RoleBinding holds in its namespace only.
  EXPECT_FALSE(Allowed(rbac, Request(kDev, "list", "", "pods")));
}

TEST(RbacAuthorizer, ServiceAccountSubjectsDefaultToTheBindingsNamespace) {
  StaticPolicySource source;
  Policy policy;
  policy.cluster_roles.push_back(ClusterRole("reader", {Rule({"get"}, {""}, {"pods"})}));
  policy.role_bindings.push_back(
      Bind<rbac::v1::RoleBinding>("ClusterRole", "reader", {{"ServiceAccount", "robot"}}, "ci"));
  source.Set(policy);
  RbacAuthorizer rbac(&source);
  const authn::UserInfo robot{.name = "system:serviceaccount:ci:robot"};
  const authn::UserInfo other{.name = "system:serviceaccount:prod:robot"};
  EXPECT_TRUE(Allowed(rbac, Request(robot, "get", "", "pods", "ci", "p")));
  EXPECT_FALSE(Allowed(rbac, Request(other, "get", "", "pods", "ci", "p")));
}

TEST(RbacAuthorizer, ResourceNamesAndNonResourceUrls) {
  StaticPolicySource source;
  Policy policy;
  policy.cluster_roles.push_back(
      ClusterRole("one-node", {Rule({"get", "update"}, {""}, {"nodes"}, {"node-1"})}));
  rbac::v1::PolicyRule urls;
  urls.add_verbs("get");
  urls.add_non_resource_urls("/metrics");
  policy.cluster_roles.push_back(ClusterRole("metrics", {urls}));
  policy.cluster_role_bindings.push_back(
      Bind<rbac::v1::ClusterRoleBinding>("ClusterRole", "one-node", {{"User", "bob"}}));
  policy.cluster_role_bindings.push_back(
      Bind<rbac::v1::ClusterRoleBinding>("ClusterRole", "metrics", {{"Group", "dev"}}));
  source.Set(policy);
  RbacAuthorizer rbac(&source);
  EXPECT_TRUE(Allowed(rbac, Request(kBob, "update", "", "nodes", "", "node-1")));
  EXPECT_FALSE(Allowed(rbac, Request(kBob, "update", "", "nodes", "", "node-2")));
  EXPECT_FALSE(Allowed(rbac, Request(kBob, "list", "", "nodes")));
  EXPECT_TRUE(Allowed(rbac, Path(kDev, "get", "/metrics")));
  EXPECT_FALSE(Allowed(rbac, Path(kBob, "get", "/metrics")));
}

TEST(RbacAuthorizer, MissingRoleGrantsNothingAndSaysWhy) {
  StaticPolicySource source;
  Policy policy;
  policy.cluster_role_bindings.push_back(
      Bind<rbac::v1::ClusterRoleBinding>("ClusterRole", "gone", {{"User", "bob"}}));
  source.Set(policy);
  RbacAuthorizer rbac(&source);
  Result result = rbac.Authorize(Request(kBob, "get", "", "pods", "default", "x"));
  EXPECT_EQ(result.decision, Decision::kNoOpinion);
  EXPECT_EQ(result.reason, "RBAC: clusterrole.rbac.authorization.k8s.io \"gone\" not found");
  // Someone bound to nothing gets no reason.
  EXPECT_EQ(rbac.Authorize(Request(kDev, "get", "", "pods", "default", "x")).reason, "");
}

TEST(RbacAuthorizer, AChangedSourceIsReadOnTheNextRequest) {
  StaticPolicySource source;
  RbacAuthorizer rbac(&source);
  EXPECT_FALSE(Allowed(rbac, Request(kBob, "get", "", "pods", "default", "x")));
  Policy policy;
  policy.cluster_roles.push_back(ClusterRole("reader", {Rule({"get"}, {""}, {"pods"})}));
  policy.role_bindings.push_back(
      Bind<rbac::v1::RoleBinding>("ClusterRole", "reader", {{"User", "bob"}}, "default"));
  source.Set(policy);
  EXPECT_TRUE(Allowed(rbac, Request(kBob, "get", "", "pods", "default", "x")));
  policy.role_bindings.clear();
  source.Set(policy);
  EXPECT_FALSE(Allowed(rbac, Request(kBob, "get", "", "pods", "default", "x")));
}

TEST(UnionAuthorizer, SystemMastersAlwaysAllowedAndAlwaysDenyGivesItsReason) {
  std::vector<std::unique_ptr<Authorizer>> chain;
  chain.push_back(std::make_unique<PrivilegedGroupsAuthorizer>());
  chain.push_back(std::make_unique<AlwaysDenyAuthorizer>());
  UnionAuthorizer authorizer(std::move(chain));
  const authn::UserInfo admin{.name = "admin", .groups = {"system:masters"}};
  EXPECT_TRUE(Allowed(authorizer, Request(admin, "delete", "", "nodes", "", "n")));
  Result result = authorizer.Authorize(Request(kBob, "get", "", "pods", "default", "x"));
  EXPECT_EQ(result.decision, Decision::kNoOpinion);
  EXPECT_EQ(result.reason, "Everything is forbidden.");
}

TEST(ParseModes, KubeApiserverModeList) {
  auto modes = ParseModes("RBAC,AlwaysDeny");
  ASSERT_TRUE(modes.ok()) << modes.status();
  EXPECT_EQ(*modes, (std::vector<std::string>{"RBAC", "AlwaysDeny"}));
  EXPECT_FALSE(ParseModes("Webhook,RBAC").ok());
  EXPECT_FALSE(ParseModes("RBAC,RBAC").ok());
  EXPECT_FALSE(ParseModes("").ok());
}

TEST(ForbiddenError, KubernetesMessages) {
  absl::Status named = ForbiddenError(Request(kBob, "delete", "", "pods", "default", "x"), "");
  EXPECT_EQ(named.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(named.message(),
            "pods \"x\" is forbidden: User \"bob\" cannot delete resource \"pods\" in API group "
            "\"\" in the namespace \"default\"");
  auto status = api::StatusObject(named);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->reason(), "Forbidden");
  EXPECT_EQ(status->code(), 403);
  EXPECT_EQ(status->details().kind(), "pods");
  EXPECT_EQ(status->details().name(), "x");

  EXPECT_EQ(ForbiddenError(Request(kBob, "list", "apps", "deployments"), "").message(),
            "deployments.apps is forbidden: User \"bob\" cannot list resource \"deployments\" in "
            "API group \"apps\" at the cluster scope");
  EXPECT_EQ(
      ForbiddenError(Request(kBob, "update", "", "pods", "default", "x", "status"), "").message(),
      "pods \"x\" is forbidden: User \"bob\" cannot update resource \"pods/status\" in API group "
      "\"\" in the namespace \"default\"");
  EXPECT_EQ(ForbiddenError(Path(kBob, "get", "/metrics"), "").message(),
            "forbidden: User \"bob\" cannot get path \"/metrics\"");
  EXPECT_EQ(ForbiddenError(Path(kBob, "get", "/metrics"), "Everything is forbidden.").message(),
            "forbidden: User \"bob\" cannot get path \"/metrics\": Everything is forbidden.");
}

TEST(BootstrapPolicy, GrantsTheComponentsWhatKubernetesGrants) {
  StaticPolicySource source;
  source.Set(BootstrapPolicy());
  RbacAuthorizer rbac(&source);
  const authn::UserInfo scheduler{.name = "system:kube-scheduler",
                                  .groups = {"system:authenticated"}};
  EXPECT_TRUE(Allowed(rbac, Request(scheduler, "create", "", "pods", "default", "p", "binding")));
  EXPECT_TRUE(Allowed(rbac, Request(scheduler, "watch", "", "nodes")));
  EXPECT_FALSE(Allowed(rbac, Request(scheduler, "delete", "", "nodes", "", "node-1")));
  EXPECT_FALSE(Allowed(rbac, Request(scheduler, "create", "apps", "deployments", "default")));

  const authn::UserInfo proxy{.name = "system:kube-proxy", .groups = {"system:authenticated"}};
  EXPECT_TRUE(Allowed(rbac, Request(proxy, "watch", "discovery.k8s.io", "endpointslices")));
  EXPECT_FALSE(Allowed(rbac, Request(proxy, "delete", "", "services", "default", "s")));

  const authn::UserInfo controllers{.name = "system:kube-controller-manager",
                                    .groups = {"system:authenticated"}};
  EXPECT_TRUE(Allowed(rbac, Request(controllers, "create", "apps", "replicasets", "default")));
  EXPECT_TRUE(Allowed(rbac, Request(controllers, "update", "", "nodes", "", "n", "status")));

  // Everyone may read the version and health; the authenticated also
  // discovery; nobody unbound reads pods.
  const authn::UserInfo anonymous = authn::Anonymous();
  EXPECT_TRUE(Allowed(rbac, Path(anonymous, "get", "/version")));
  EXPECT_TRUE(Allowed(rbac, Path(anonymous, "get", "/healthz")));
  EXPECT_FALSE(Allowed(rbac, Path(anonymous, "get", "/apis")));
  EXPECT_TRUE(Allowed(rbac, Path(kBob, "get", "/apis/apps/v1")));
  EXPECT_FALSE(Allowed(rbac, Request(kBob, "get", "", "pods", "default", "x")));
  EXPECT_TRUE(
      Allowed(rbac, Request(kBob, "create", "authorization.k8s.io", "selfsubjectaccessreviews")));
  // system:node is bound to nobody (the Node authorizer's job in Kubernetes).
  const authn::UserInfo node{.name = "system:node:n1", .groups = {"system:nodes"}};
  EXPECT_FALSE(Allowed(rbac, Request(node, "get", "", "nodes", "", "n1")));
}

TEST(BootstrapPolicy, KubeletApiAdminAndAuthDelegatorGrantWhatKubernetesGrants) {
  StaticPolicySource source;
  Policy policy = BootstrapPolicy();
  policy.cluster_role_bindings.push_back(Bind<rbac::v1::ClusterRoleBinding>(
      "ClusterRole", "system:kubelet-api-admin", {{"User", "kube-apiserver-kubelet-client"}}));
  rbac::v1::ClusterRoleBinding delegator = Bind<rbac::v1::ClusterRoleBinding>(
      "ClusterRole", "system:auth-delegator", {{"User", "webhook"}});
  delegator.mutable_metadata()->set_name("d");
  policy.cluster_role_bindings.push_back(delegator);
  source.Set(policy);
  RbacAuthorizer rbac(&source);
  const authn::UserInfo apiserver{.name = "kube-apiserver-kubelet-client",
                                  .groups = {"system:authenticated"}};
  for (const char* subresource : {"proxy", "log", "stats", "metrics", "spec", "pods"}) {
    EXPECT_TRUE(Allowed(rbac, Request(apiserver, "get", "", "nodes", "", "n1", subresource)))
        << subresource;
    EXPECT_TRUE(Allowed(rbac, Request(apiserver, "create", "", "nodes", "", "n1", subresource)))
        << subresource;
    EXPECT_FALSE(Allowed(rbac, Request(kBob, "get", "", "nodes", "", "n1", subresource)))
        << subresource;
  }
  EXPECT_TRUE(Allowed(rbac, Request(apiserver, "list", "", "nodes")));
  EXPECT_FALSE(Allowed(rbac, Request(apiserver, "delete", "", "nodes", "", "n1")));
  EXPECT_FALSE(Allowed(rbac, Request(apiserver, "get", "", "pods", "default", "p")));

  const authn::UserInfo webhook{.name = "webhook", .groups = {"system:authenticated"}};
  EXPECT_TRUE(
      Allowed(rbac, Request(webhook, "create", "authorization.k8s.io", "subjectaccessreviews")));
  EXPECT_TRUE(Allowed(rbac, Request(webhook, "create", "authentication.k8s.io", "tokenreviews")));
  EXPECT_FALSE(Allowed(rbac, Request(webhook, "create", "authorization.k8s.io",
                                     "localsubjectaccessreviews", "default")));
  EXPECT_FALSE(
      Allowed(rbac, Request(kBob, "create", "authorization.k8s.io", "subjectaccessreviews")));
}

TEST(AccessReview, AnswersForTheCaller) {
  StaticPolicySource source;
  Policy policy;
  policy.cluster_roles.push_back(ClusterRole("reader", {Rule({"get", "list"}, {""}, {"pods"})}));
  policy.role_bindings.push_back(
      Bind<rbac::v1::RoleBinding>("ClusterRole", "reader", {{"User", "bob"}}, "default"));
  source.Set(policy);
  RbacAuthorizer rbac(&source);

  authorization::v1::SelfSubjectAccessReview review;
  auto* attributes = review.mutable_spec()->mutable_resource_attributes();
  attributes->set_verb("list");
  attributes->set_resource("pods");
  attributes->set_namespace_("default");
  ASSERT_TRUE(Review(&rbac, kBob, &review).ok());
  EXPECT_TRUE(review.status().allowed());
  EXPECT_EQ(review.kind(), "SelfSubjectAccessReview");
  EXPECT_EQ(review.api_version(), "authorization.k8s.io/v1");
  attributes->set_namespace_("");  // every namespace: not granted
  ASSERT_TRUE(Review(&rbac, kBob, &review).ok());
  EXPECT_FALSE(review.status().allowed());
  EXPECT_FALSE(review.status().denied());
  // AlwaysAllow (no authorizer) allows.
  ASSERT_TRUE(Review(nullptr, kBob, &review).ok());
  EXPECT_TRUE(review.status().allowed());

  authorization::v1::SelfSubjectAccessReview path;
  path.mutable_spec()->mutable_non_resource_attributes()->set_verb("get");
  path.mutable_spec()->mutable_non_resource_attributes()->set_path("/healthz");
  ASSERT_TRUE(Review(&rbac, kBob, &path).ok());
  EXPECT_FALSE(path.status().allowed());

  authorization::v1::SelfSubjectAccessReview empty;
  absl::Status invalid = Review(&rbac, kBob, &empty);
  EXPECT_EQ(api::Reason(invalid), "Invalid");
  EXPECT_EQ(
      invalid.message(),
      "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: "
      "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes "
      "must be specified");
}

}  // namespace
}  // namespace minik8s::apiserver::authz
