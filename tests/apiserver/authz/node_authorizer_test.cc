// The Node authorizer (apiserver/authz/node_authorizer.h): who is a node,
// the node rules, leases by name and namespace, NoOpinion for everybody
// else (so RBAC decides next), and the Node mode of --authorization-mode.
#include "apiserver/authz/node_authorizer.h"

#include <gtest/gtest.h>

#include <string>

#include "apiserver/authz/authorizer.h"
#include "apiserver/authz/chain.h"

namespace minik8s::apiserver::authz {
namespace {

const authn::UserInfo kN1{.name = "system:node:n1", .groups = {"system:nodes"}};

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

TEST(NodeIdentity, NameAndGroupBothNeeded) {
  EXPECT_EQ(NodeIdentityOf(&kN1).name, "n1");
  EXPECT_TRUE(NodeIdentityOf(&kN1).is_node);
  const authn::UserInfo no_group{.name = "system:node:n1", .groups = {"system:authenticated"}};
  EXPECT_FALSE(NodeIdentityOf(&no_group).is_node);
  const authn::UserInfo other{.name = "bob", .groups = {"system:nodes"}};
  EXPECT_FALSE(NodeIdentityOf(&other).is_node);
  const authn::UserInfo nameless{.name = "system:node:", .groups = {"system:nodes"}};
  EXPECT_TRUE(NodeIdentityOf(&nameless).is_node);
  EXPECT_EQ(NodeIdentityOf(&nameless).name, "");
  EXPECT_FALSE(NodeIdentityOf(nullptr).is_node);
}

TEST(NodeAuthorizer, AllowsWhatTheKubeletCalls) {
  NodeAuthorizer node;
  const Attributes allowed[] = {
      Request(kN1, "create", "", "nodes"),
      Request(kN1, "get", "", "nodes", "", "n1"),
      Request(kN1, "list", "", "nodes"),
      Request(kN1, "watch", "", "nodes"),
      Request(kN1, "update", "", "nodes", "", "n1"),
      Request(kN1, "patch", "", "nodes", "", "n1"),
      Request(kN1, "update", "", "nodes", "", "n1", "status"),
      Request(kN1, "patch", "", "nodes", "", "n1", "status"),
      Request(kN1, "list", "", "pods"),
      Request(kN1, "watch", "", "pods"),
      Request(kN1, "get", "", "pods", "default", "web"),
      Request(kN1, "delete", "", "pods", "default", "web"),
      Request(kN1, "create", "", "pods", "default"),
      Request(kN1, "update", "", "pods", "default", "web", "status"),
      Request(kN1, "patch", "", "pods", "default", "web", "status"),
      Request(kN1, "create", "", "pods", "default", "web", "eviction"),
      Request(kN1, "create", "", "events", "default"),
      Request(kN1, "patch", "", "events", "default", "e"),
      Request(kN1, "create", "events.k8s.io", "events", "default"),
      Request(kN1, "get", "", "services", "default", "web"),
      Request(kN1, "list", "", "services"),
      Request(kN1, "create", "authorization.k8s.io", "subjectaccessreviews"),
      Request(kN1, "create", "authentication.k8s.io", "tokenreviews"),
      Request(kN1, "get", "coordination.k8s.io", "leases", "kube-node-lease", "n1"),
      Request(kN1, "create", "coordination.k8s.io", "leases", "kube-node-lease"),
      Request(kN1, "update", "coordination.k8s.io", "leases", "kube-node-lease", "n1"),
      Request(kN1, "patch", "coordination.k8s.io", "leases", "kube-node-lease", "n1"),
      Request(kN1, "delete", "coordination.k8s.io", "leases", "kube-node-lease", "n1"),
      // Its certificates (the TLS bootstrap's serving certificate, renewals).
      Request(kN1, "create", "certificates.k8s.io", "certificatesigningrequests"),
      Request(kN1, "get", "certificates.k8s.io", "certificatesigningrequests", "", "csr-1"),
      Request(kN1, "watch", "certificates.k8s.io", "certificatesigningrequests"),
  };
  for (const Attributes& a : allowed) {
    EXPECT_EQ(node.Authorize(a).decision, Decision::kAllow)
        << a.verb << " " << a.resource << "/" << a.subresource << " " << a.name;
  }
}

TEST(NodeAuthorizer, NoOpinionOnTheRest) {
  NodeAuthorizer node;
  const Attributes refused[] = {
      Request(kN1, "delete", "", "nodes", "", "n1"),
      Request(kN1, "update", "", "pods", "default", "web"),
      Request(kN1, "create", "", "pods", "default", "web", "binding"),
      Request(kN1, "create", "", "namespaces"),
      Request(kN1, "list", "", "endpoints"),
      Request(kN1, "list", "discovery.k8s.io", "endpointslices"),
      Request(kN1, "create", "apps", "deployments", "default"),
      Request(kN1, "get", "rbac.authorization.k8s.io", "clusterroles", "", "admin"),
      Request(kN1, "delete", "", "events", "default", "e"),
      Request(kN1, "update", "certificates.k8s.io", "certificatesigningrequests", "", "csr-1",
              "approval"),
      Request(kN1, "delete", "certificates.k8s.io", "certificatesigningrequests", "", "csr-1"),
  };
  for (const Attributes& a : refused) {
    const Result result = node.Authorize(a);
    EXPECT_EQ(result.decision, Decision::kNoOpinion)
        << a.verb << " " << a.resource << "/" << a.subresource;
    EXPECT_EQ(result.reason, "");
  }
  Attributes path;
  path.user = &kN1;
  path.verb = "get";
  path.path = "/metrics";
  EXPECT_EQ(node.Authorize(path).decision, Decision::kNoOpinion);
}

TEST(NodeAuthorizer, LeasesOnlyItsOwnInKubeNodeLease) {
  NodeAuthorizer node;
  Result other = node.Authorize(
      Request(kN1, "update", "coordination.k8s.io", "leases", "kube-node-lease", "n2"));
  EXPECT_EQ(other.decision, Decision::kNoOpinion);
  EXPECT_EQ(other.reason, "can only access node lease with the same name as the requesting node");
  Result elsewhere =
      node.Authorize(Request(kN1, "get", "coordination.k8s.io", "leases", "kube-system", "n1"));
  EXPECT_EQ(elsewhere.decision, Decision::kNoOpinion);
  EXPECT_EQ(elsewhere.reason, "can only access leases in the \"kube-node-lease\" system namespace");
  Result list =
      node.Authorize(Request(kN1, "list", "coordination.k8s.io", "leases", "kube-node-lease"));
  EXPECT_EQ(list.decision, Decision::kNoOpinion);
  EXPECT_EQ(list.reason, "can only get, create, update, patch, or delete a node lease");
}

TEST(NodeAuthorizer, OthersAndNamelessNodes) {
  NodeAuthorizer node;
  const authn::UserInfo bob{.name = "bob", .groups = {"system:authenticated"}};
  EXPECT_EQ(node.Authorize(Request(bob, "list", "", "pods")).decision, Decision::kNoOpinion);
  const authn::UserInfo no_group{.name = "system:node:n1", .groups = {"system:authenticated"}};
  EXPECT_EQ(node.Authorize(Request(no_group, "list", "", "pods")).decision, Decision::kNoOpinion);
  const authn::UserInfo nameless{.name = "system:node:", .groups = {"system:nodes"}};
  Result result = node.Authorize(Request(nameless, "list", "", "pods"));
  EXPECT_EQ(result.decision, Decision::kNoOpinion);
  EXPECT_EQ(result.reason, "unknown node for user \"system:node:\"");
}

TEST(NodeAuthorizer, ListsNoRulesForNodes) {
  NodeAuthorizer node;
  RuleList rules;
  node.RulesFor(kN1, "default", &rules);
  EXPECT_TRUE(rules.incomplete);
  EXPECT_TRUE(rules.resource_rules.empty());
  EXPECT_EQ(rules.errors, std::vector<std::string>{"node authorizer does not support user rule "
                                                   "resolution"});
  RuleList others;
  const authn::UserInfo bob{.name = "bob", .groups = {"system:authenticated"}};
  node.RulesFor(bob, "default", &others);
  EXPECT_FALSE(others.incomplete);
  EXPECT_TRUE(others.errors.empty());
}

TEST(NodeAuthorizer, NodeModeInTheChain) {
  absl::StatusOr<std::vector<std::string>> modes = ParseModes("Node,RBAC");
  ASSERT_TRUE(modes.ok()) << modes.status();
  EXPECT_EQ(*modes, (std::vector<std::string>{"Node", "RBAC"}));
  EXPECT_FALSE(ParseModes("Node,Node").ok());
  EXPECT_NE(ParseModes("Nodes").status().message().find("Node, RBAC"), std::string::npos);

  absl::StatusOr<std::vector<std::string>> node_only = ParseModes("Node");
  ASSERT_TRUE(node_only.ok());
  absl::StatusOr<std::unique_ptr<Authorizer>> chain = NewAuthorizer(*node_only, nullptr);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_TRUE(Check(**chain, Request(kN1, "update", "", "pods", "default", "web", "status")).ok());
  absl::Status refused = Check(
      **chain, Request(kN1, "update", "coordination.k8s.io", "leases", "kube-node-lease", "n2"));
  EXPECT_EQ(refused.message(),
            "leases.coordination.k8s.io \"n2\" is forbidden: User \"system:node:n1\" cannot "
            "update resource \"leases\" in API group \"coordination.k8s.io\" in the namespace "
            "\"kube-node-lease\": can only access node lease with the same name as the "
            "requesting node");
  const authn::UserInfo bob{.name = "bob", .groups = {"system:authenticated"}};
  EXPECT_FALSE(Check(**chain, Request(bob, "list", "", "pods")).ok());
}

}  // namespace
}  // namespace minik8s::apiserver::authz
