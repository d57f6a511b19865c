#include "apiserver/authz/node_authorizer.h"

#include <algorithm>
#include <initializer_list>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "apiserver/authz/rule_match.h"

namespace minik8s::apiserver::authz {

namespace {

using Strings = std::initializer_list<const char*>;

rbac::v1::PolicyRule Rule(Strings verbs, Strings groups, Strings resources) {
  rbac::v1::PolicyRule rule;
  for (const char* v : verbs) rule.add_verbs(v);
  for (const char* g : groups) rule.add_api_groups(g);
  for (const char* r : resources) rule.add_resources(r);
  return rule;
}

constexpr char kCoordinationGroup[] = "coordination.k8s.io";

// Kubernetes' authorizeLease.
Result AuthorizeLease(const std::string& node, const Attributes& attributes) {
  const std::string& verb = attributes.verb;
  if (verb != "get" && verb != "create" && verb != "update" && verb != "patch" &&
      verb != "delete") {
    return {Decision::kNoOpinion, "can only get, create, update, patch, or delete a node lease"};
  }
  if (attributes.namespace_ != kNodeLeaseNamespace) {
    return {Decision::kNoOpinion, absl::StrCat("can only access leases in the \"",
                                               kNodeLeaseNamespace, "\" system namespace")};
  }
  if (verb != "create" && attributes.name != node) {
    return {Decision::kNoOpinion,
            "can only access node lease with the same name as the requesting node"};
  }
  return {Decision::kAllow, ""};
}

Result NoRelationship(const std::string& node) {
  return {Decision::kNoOpinion,
          absl::StrCat("no relationship found between node '", node, "' and this object")};
}

// Kubernetes' authorize: a path from the object to the node.
Result AuthorizePath(const NodeGraph* graph, const std::string& node, GraphVertex vertex,
                     const Attributes& attributes) {
  if (attributes.name.empty()) return {Decision::kNoOpinion, "No Object name found"};
  if (graph == nullptr || !graph->HasPath(node, vertex, attributes.namespace_, attributes.name)) {
    return NoRelationship(node);
  }
  return {Decision::kAllow, ""};
}

// Kubernetes' authorizeReadNamespacedObject.
Result AuthorizeRead(const NodeGraph* graph, const std::string& node, GraphVertex vertex,
                     const Attributes& attributes) {
  const std::string& verb = attributes.verb;
  if (verb != "get" && verb != "list" && verb != "watch") {
    return {Decision::kNoOpinion, "can only read resources of this type"};
  }
  if (!attributes.subresource.empty()) return {Decision::kNoOpinion, "cannot read subresource"};
  if (attributes.namespace_.empty()) {
    return {Decision::kNoOpinion, "can only read namespaced object of this type"};
  }
  return AuthorizePath(graph, node, vertex, attributes);
}

// Kubernetes' authorizeCreateToken.
Result AuthorizeCreateToken(const NodeGraph* graph, const std::string& node,
                            const Attributes& attributes) {
  if (attributes.verb != "create" || attributes.name.empty()) {
    return {Decision::kNoOpinion, "can only create tokens for individual service accounts"};
  }
  if (attributes.subresource != "token") {
    return {Decision::kNoOpinion, "can only create token subresource of serviceaccount"};
  }
  return AuthorizePath(graph, node, GraphVertex::kServiceAccount, attributes);
}

}  // namespace

NodeIdentity NodeIdentityOf(const authn::UserInfo* user) {
  if (user == nullptr || !absl::StartsWith(user->name, kNodeUserPrefix)) return {};
  const auto& groups = user->groups;
  if (std::find(groups.begin(), groups.end(), kNodesGroup) == groups.end()) return {};
  return {.is_node = true, .name = user->name.substr(sizeof(kNodeUserPrefix) - 1)};
}

std::vector<rbac::v1::PolicyRule> NodeRules() {
  return {
      // API access checks (non-mutating creates).
      Rule({"create"}, {"authentication.k8s.io"}, {"tokenreviews"}),
      Rule({"create"}, {"authorization.k8s.io"},
           {"subjectaccessreviews", "localsubjectaccessreviews"}),
      // Services, for the environment variables of pods.
      Rule({"get", "list", "watch"}, {""}, {"services"}),
      // The node's own Node object and its status (NodeRestriction: its own).
      Rule({"create", "get", "list", "watch"}, {""}, {"nodes"}),
      Rule({"update", "patch"}, {""}, {"nodes/status"}),
      Rule({"update", "patch"}, {""}, {"nodes"}),
      Rule({"create", "update", "patch"}, {"", "events.k8s.io"}, {"events"}),
      // Pods: read; mirror pods; the status of the pods it runs; evictions
      // (NodeRestriction: the pods bound to it).
      Rule({"get", "list", "watch"}, {""}, {"pods"}),
      Rule({"create", "delete"}, {""}, {"pods"}),
      Rule({"update", "patch"}, {""}, {"pods/status"}),
      Rule({"create"}, {""}, {"pods/eviction"}),
      // Its own certificates: a client certificate before the old one
      // expires and a serving certificate (the kubelet's TLS bootstrap).
      Rule({"create", "get", "list", "watch"}, {"certificates.k8s.io"},
           {"certificatesigningrequests"}),
      // Its lease (authorized by name before the rules are asked).
      Rule({"get", "create", "update", "patch", "delete"}, {kCoordinationGroup}, {"leases"}),
      // The secrets and configmaps its pods use, and their ServiceAccounts'
      // tokens (the graph decides which, before the rules are asked).
      Rule({"get", "list", "watch"}, {""}, {"secrets", "configmaps"}),
      Rule({"create"}, {""}, {"serviceaccounts/token"}),
  };
}

NodeAuthorizer::NodeAuthorizer(const NodeGraph* graph) : rules_(NodeRules()), graph_(graph) {}

Result NodeAuthorizer::Authorize(const Attributes& attributes) const {
  const NodeIdentity node = NodeIdentityOf(attributes.user);
  if (!node.is_node) return {Decision::kNoOpinion, ""};
  if (node.name.empty()) {
    return {Decision::kNoOpinion,
            absl::StrCat("unknown node for user \"", attributes.user->name, "\"")};
  }
  if (attributes.resource_request && attributes.api_group == kCoordinationGroup &&
      attributes.resource == "leases") {
    return AuthorizeLease(node.name, attributes);
  }
  if (attributes.resource_request && attributes.api_group.empty()) {
    if (attributes.resource == "secrets") {
      return AuthorizeRead(graph_, node.name, GraphVertex::kSecret, attributes);
    }
    if (attributes.resource == "configmaps") {
      return AuthorizeRead(graph_, node.name, GraphVertex::kConfigMap, attributes);
    }
    if (attributes.resource == "serviceaccounts") {
      return AuthorizeCreateToken(graph_, node.name, attributes);
    }
  }
  for (const auto& rule : rules_) {
    if (RuleAllows(attributes, rule)) return {Decision::kAllow, ""};
  }
  return {Decision::kNoOpinion, ""};
}

void NodeAuthorizer::RulesFor(const authn::UserInfo& user, const std::string& ns,
                              RuleList* out) const {
  if (!NodeIdentityOf(&user).is_node) return;
  out->incomplete = true;
  out->errors.push_back("node authorizer does not support user rule resolution");
}

}  // namespace minik8s::apiserver::authz
