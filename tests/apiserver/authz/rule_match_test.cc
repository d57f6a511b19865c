// The RBAC rule matcher (apiserver/authz/rule_match.h), rule by rule.
#include "apiserver/authz/rule_match.h"

#include <gtest/gtest.h>

#include <initializer_list>

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

rbac::v1::PolicyRule Urls(Strings verbs, Strings urls) {
  rbac::v1::PolicyRule rule;
  for (const char* v : verbs) rule.add_verbs(v);
  for (const char* u : urls) rule.add_non_resource_urls(u);
  return rule;
}

Attributes Request(const char* verb, const char* group, const char* resource,
                   const char* subresource = "", const char* name = "", const char* ns = "") {
  Attributes a;
  a.verb = verb;
  a.resource_request = true;
  a.api_group = group;
  a.resource = resource;
  a.subresource = subresource;
  a.name = name;
  a.namespace_ = ns;
  return a;
}

Attributes Path(const char* verb, const char* path) {
  Attributes a;
  a.verb = verb;
  a.path = path;
  return a;
}

TEST(RuleMatch, VerbsGroupsAndResourcesMustAllMatch) {
  const auto rule = Rule({"get", "list"}, {"apps"}, {"deployments"});
  EXPECT_TRUE(RuleAllows(Request("get", "apps", "deployments"), rule));
  EXPECT_TRUE(RuleAllows(Request("list", "apps", "deployments"), rule));
  EXPECT_FALSE(RuleAllows(Request("delete", "apps", "deployments"), rule));
  EXPECT_FALSE(RuleAllows(Request("get", "", "deployments"), rule));
  EXPECT_FALSE(RuleAllows(Request("get", "apps", "replicasets"), rule));
}

TEST(RuleMatch, CoreGroupIsTheEmptyString) {
  const auto rule = Rule({"get"}, {""}, {"pods"});
  EXPECT_TRUE(RuleAllows(Request("get", "", "pods"), rule));
  EXPECT_FALSE(RuleAllows(Request("get", "apps", "pods"), rule));
}

TEST(RuleMatch, StarMatchesEveryVerbGroupAndResource) {
  const auto rule = Rule({"*"}, {"*"}, {"*"});
  EXPECT_TRUE(RuleAllows(Request("deletecollection", "rbac.authorization.k8s.io", "roles"), rule));
  EXPECT_TRUE(RuleAllows(Request("update", "", "pods", "status", "web", "default"), rule));
  // A resource rule never covers a non-resource path.
  EXPECT_FALSE(RuleAllows(Path("get", "/healthz"), rule));
}

TEST(RuleMatch, SubresourcesNeedTheirOwnEntry) {
  const auto pods = Rule({"update"}, {""}, {"pods"});
  EXPECT_TRUE(RuleAllows(Request("update", "", "pods", "", "web"), pods));
  EXPECT_FALSE(RuleAllows(Request("update", "", "pods", "status", "web"), pods));
  const auto status = Rule({"update"}, {""}, {"pods/status"});
  EXPECT_TRUE(RuleAllows(Request("update", "", "pods", "status", "web"), status));
  EXPECT_FALSE(RuleAllows(Request("update", "", "pods", "", "web"), status));
  const auto any_scale = Rule({"update"}, {"*"}, {"*/scale"});
  EXPECT_TRUE(RuleAllows(Request("update", "apps", "deployments", "scale", "d"), any_scale));
  EXPECT_FALSE(RuleAllows(Request("update", "apps", "deployments", "status", "d"), any_scale));
  EXPECT_FALSE(RuleAllows(Request("update", "apps", "deployments", "", "d"), any_scale));
}

TEST(RuleMatch, ResourceNamesLimitToNamedObjects) {
  const auto rule = Rule({"get", "list"}, {""}, {"configmaps"}, {"settings"});
  EXPECT_TRUE(RuleAllows(Request("get", "", "configmaps", "", "settings", "ns"), rule));
  EXPECT_FALSE(RuleAllows(Request("get", "", "configmaps", "", "other", "ns"), rule));
  // A request without a name (list) is not limited to the named objects.
  EXPECT_FALSE(RuleAllows(Request("list", "", "configmaps", "", "", "ns"), rule));
}

TEST(RuleMatch, NonResourceUrlsExactPrefixAndStar) {
  const auto rule = Urls({"get"}, {"/healthz", "/apis/*"});
  EXPECT_TRUE(RuleAllows(Path("get", "/healthz"), rule));
  EXPECT_FALSE(RuleAllows(Path("get", "/healthz/etcd"), rule));
  EXPECT_TRUE(RuleAllows(Path("get", "/apis/apps/v1"), rule));
  EXPECT_FALSE(RuleAllows(Path("get", "/apis"), rule));
  EXPECT_FALSE(RuleAllows(Path("post", "/healthz"), rule));
  EXPECT_TRUE(RuleAllows(Path("get", "/anything"), Urls({"*"}, {"*"})));
  // A non-resource rule never covers a resource.
  EXPECT_FALSE(RuleAllows(Request("get", "", "pods"), Urls({"*"}, {"*"})));
}

}  // namespace
}  // namespace minik8s::apiserver::authz
