// The Node authorizer's graph (apiserver/authz/node_graph.h) and the
// authorizer's use of it: secrets, configmaps and ServiceAccounts a node's
// pods reference are reachable, nothing else is; pods moving, changing and
// going away; an older state never replaces a newer one; the graph kept
// from a real watch cache's events and lists.
#include "apiserver/authz/node_graph.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/scheme.h"
#include "apiserver/authz/node_authorizer.h"
#include "apiserver/watch_cache.h"

namespace minik8s::apiserver::authz {
namespace {

const authn::UserInfo kN1{.name = "system:node:n1", .groups = {"system:nodes"}};
const authn::UserInfo kN2{.name = "system:node:n2", .groups = {"system:nodes"}};

core::v1::Pod PodOn(const std::string& name, const std::string& node) {
  core::v1::Pod pod;
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->set_uid("uid-" + name);
  pod.mutable_spec()->set_node_name(node);
  pod.mutable_spec()->set_service_account_name("robot");
  core::v1::Volume* secret = pod.mutable_spec()->add_volumes();
  secret->set_name("creds");
  secret->mutable_secret()->set_secret_name("db-password");
  core::v1::Volume* projected = pod.mutable_spec()->add_volumes();
  projected->set_name("kube-api-access-abcde");
  projected->mutable_projected()->add_sources()->mutable_config_map()->set_name("kube-root-ca.crt");
  projected->mutable_projected()->add_sources()->mutable_secret()->set_name("tls");
  core::v1::Container* container = pod.mutable_spec()->add_containers();
  container->set_name("app");
  core::v1::EnvVar* env = container->add_env();
  env->set_name("MODE");
  env->mutable_value_from()->mutable_config_map_key_ref()->set_name("settings");
  core::v1::Container* init = pod.mutable_spec()->add_init_containers();
  init->set_name("setup");
  core::v1::EnvVar* key = init->add_env();
  key->set_name("KEY");
  key->mutable_value_from()->mutable_secret_key_ref()->set_name("api-key");
  container->add_env_from()->mutable_config_map_ref()->set_name("app-env");
  init->add_env_from()->mutable_secret_ref()->set_name("init-env");
  pod.mutable_spec()->add_image_pull_secrets()->set_name("registry");
  return pod;
}

TEST(NodeGraph, APodsReferencesAreReachableFromItsNodeOnly) {
  NodeGraph graph;
  graph.SetPod(PodOn("web", "n1"), 10);
  for (const auto& [vertex, name] : std::vector<std::pair<GraphVertex, std::string>>{
           {GraphVertex::kSecret, "db-password"},
           {GraphVertex::kSecret, "tls"},
           {GraphVertex::kSecret, "api-key"},
           {GraphVertex::kSecret, "init-env"},
           {GraphVertex::kSecret, "registry"},
           {GraphVertex::kConfigMap, "app-env"},
           {GraphVertex::kConfigMap, "kube-root-ca.crt"},
           {GraphVertex::kConfigMap, "settings"},
           {GraphVertex::kServiceAccount, "robot"}}) {
    EXPECT_TRUE(graph.HasPath("n1", vertex, "default", name)) << name;
    EXPECT_FALSE(graph.HasPath("n2", vertex, "default", name)) << name;
    EXPECT_FALSE(graph.HasPath("n1", vertex, "other", name)) << name;
  }
  // Kinds do not mix: a secret named like a configmap is not reachable.
  EXPECT_FALSE(graph.HasPath("n1", GraphVertex::kSecret, "default", "settings"));
  EXPECT_FALSE(graph.HasPath("n1", GraphVertex::kConfigMap, "default", "db-password"));
  EXPECT_FALSE(graph.HasPath("n1", GraphVertex::kSecret, "default", "unrelated"));
}

TEST(NodeGraph, FollowsPodsAsTheyMoveChangeAndGo) {
  NodeGraph graph;
  core::v1::Pod pending = PodOn("web", "");
  graph.SetPod(pending, 5);  // not scheduled: reaches nothing
  EXPECT_FALSE(graph.HasPath("n1", GraphVertex::kSecret, "default", "db-password"));
  graph.SetPod(PodOn("web", "n1"), 6);
  graph.SetPod(PodOn("api", "n1"), 7);
  EXPECT_TRUE(graph.HasPath("n1", GraphVertex::kSecret, "default", "db-password"));
  // One of two pods holding a reference goes: still reachable.
  graph.DeletePod(PodOn("api", "n1"), 7);
  EXPECT_TRUE(graph.HasPath("n1", GraphVertex::kSecret, "default", "db-password"));
  // A stale state (older resourceVersion) changes nothing.
  graph.SetPod(PodOn("web", "n2"), 4);
  EXPECT_TRUE(graph.HasPath("n1", GraphVertex::kSecret, "default", "db-password"));
  // The pod stops referencing the secret.
  core::v1::Pod changed = PodOn("web", "n1");
  changed.mutable_spec()->mutable_volumes()->DeleteSubrange(0, 1);
  graph.SetPod(changed, 8);
  EXPECT_FALSE(graph.HasPath("n1", GraphVertex::kSecret, "default", "db-password"));
  EXPECT_TRUE(graph.HasPath("n1", GraphVertex::kSecret, "default", "tls"));
  graph.DeletePod(changed, 8);
  EXPECT_FALSE(graph.HasPath("n1", GraphVertex::kSecret, "default", "tls"));
  EXPECT_EQ(graph.pod_count(), 0u);
}

Attributes Get(const authn::UserInfo& user, const char* resource, const char* name,
               const char* verb = "get", const char* subresource = "") {
  Attributes a;
  a.user = &user;
  a.verb = verb;
  a.resource_request = true;
  a.resource = resource;
  a.namespace_ = "default";
  a.name = name;
  a.subresource = subresource;
  return a;
}

TEST(NodeAuthorizerGraph, AllowsReferencedObjectsAndExplainsTheRest) {
  NodeGraph graph;
  graph.SetPod(PodOn("web", "n1"), 10);
  NodeAuthorizer node(&graph);
  EXPECT_EQ(node.Authorize(Get(kN1, "secrets", "db-password")).decision, Decision::kAllow);
  EXPECT_EQ(node.Authorize(Get(kN1, "secrets", "db-password", "watch")).decision, Decision::kAllow);
  EXPECT_EQ(node.Authorize(Get(kN1, "configmaps", "kube-root-ca.crt")).decision, Decision::kAllow);
  EXPECT_EQ(node.Authorize(Get(kN1, "serviceaccounts", "robot", "create", "token")).decision,
            Decision::kAllow);

  Result denied = node.Authorize(Get(kN2, "secrets", "db-password"));
  EXPECT_EQ(denied.decision, Decision::kNoOpinion);
  EXPECT_EQ(denied.reason, "no relationship found between node 'n2' and this object");
  EXPECT_EQ(node.Authorize(Get(kN1, "secrets", "unrelated")).reason,
            "no relationship found between node 'n1' and this object");
  EXPECT_EQ(node.Authorize(Get(kN1, "serviceaccounts", "default", "create", "token")).reason,
            "no relationship found between node 'n1' and this object");
  EXPECT_EQ(node.Authorize(Get(kN1, "secrets", "db-password", "update")).reason,
            "can only read resources of this type");
  EXPECT_EQ(node.Authorize(Get(kN1, "secrets", "")).reason, "No Object name found");
  Attributes cluster = Get(kN1, "configmaps", "kube-root-ca.crt");
  cluster.namespace_ = "";
  EXPECT_EQ(node.Authorize(cluster).reason, "can only read namespaced object of this type");
  EXPECT_EQ(node.Authorize(Get(kN1, "serviceaccounts", "robot", "get")).reason,
            "can only create tokens for individual service accounts");
  EXPECT_EQ(node.Authorize(Get(kN1, "serviceaccounts", "robot", "create")).reason,
            "can only create token subresource of serviceaccount");
  // The 403 a node then gets.
  EXPECT_EQ(ForbiddenError(Get(kN2, "secrets", "db-password"), denied.reason).message(),
            "secrets \"db-password\" is forbidden: User \"system:node:n2\" cannot get resource "
            "\"secrets\" in API group \"\" in the namespace \"default\": no relationship found "
            "between node 'n2' and this object");
  // Other users are not the Node authorizer's business.
  const authn::UserInfo bob{.name = "bob", .groups = {"system:authenticated"}};
  EXPECT_EQ(node.Authorize(Get(bob, "secrets", "db-password")).reason, "");
  // Without a graph nothing is reachable.
  NodeAuthorizer blind;
  EXPECT_EQ(blind.Authorize(Get(kN1, "secrets", "db-password")).decision, Decision::kNoOpinion);
}

// The graph over a real watch cache: the first query lists it, later
// events are applied as they come, and a relist is merged in.
TEST(CacheNodeGraph, KeepsUpWithThePodsCache) {
  const api::KindInfo& kind = *api::Scheme::Default().FindByResource("pods");
  WatchCache cache(&kind, WatchCache::Options{});
  CacheNodeGraph graph(&cache);
  auto cached = [&](const core::v1::Pod& pod, int64_t revision) {
    auto copy = std::make_unique<core::v1::Pod>(pod);
    copy->mutable_metadata()->set_resource_version(absl::StrCat(revision));
    return MakeCachedObject(kind, std::move(copy));
  };
  cache.Replace({cached(PodOn("web", "n1"), 3)}, 3);
  EXPECT_TRUE(graph.HasPath("n1", GraphVertex::kSecret, "default", "db-password"));
  cache.Apply(EventType::kAdded, "default/api", cached(PodOn("api", "n2"), 4), 4);
  EXPECT_TRUE(graph.HasPath("n2", GraphVertex::kSecret, "default", "db-password"));
  cache.Apply(EventType::kDeleted, "default/web", cached(PodOn("web", "n1"), 3), 5);
  EXPECT_FALSE(graph.HasPath("n1", GraphVertex::kSecret, "default", "db-password"));
  // A relist (after a compaction, say) that no longer holds "api".
  cache.Replace({cached(PodOn("db", "n1"), 7)}, 7);
  EXPECT_FALSE(graph.HasPath("n2", GraphVertex::kSecret, "default", "db-password"));
  EXPECT_TRUE(graph.HasPath("n1", GraphVertex::kSecret, "default", "db-password"));
  EXPECT_EQ(graph.pod_count(), 1u);
}

}  // namespace
}  // namespace minik8s::apiserver::authz
