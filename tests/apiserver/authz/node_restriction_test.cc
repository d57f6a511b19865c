// NodeRestriction admission (apiserver/admission/noderestriction) and the
// --enable-admission-plugins list (apiserver/admission/plugins.h): a node
// writes only its own Node and Lease and the pods bound to it, with
// Kubernetes' Forbidden messages; other callers pass.
#include "apiserver/admission/noderestriction/node_restriction.h"

#include <gtest/gtest.h>

#include <string>

#include "api/errors.h"
#include "api/scheme.h"
#include "apiserver/admission/plugins.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::apiserver::admission {
namespace {

const authn::UserInfo kN1{.name = "system:node:n1", .groups = {"system:nodes"}};
const authn::UserInfo kAdmin{.name = "kubernetes-admin", .groups = {"system:masters"}};

const api::KindInfo& Kind(const char* resource) {
  const api::KindInfo* kind = api::Scheme::Default().FindByResource(resource);
  EXPECT_NE(kind, nullptr) << resource;
  return *kind;
}

core::v1::Node Node(const std::string& name) {
  core::v1::Node node;
  node.mutable_metadata()->set_name(name);
  (*node.mutable_metadata()->mutable_labels())["kubernetes.io/hostname"] = name;
  return node;
}

core::v1::Pod Pod(const std::string& name, const std::string& node_name) {
  core::v1::Pod pod;
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->set_namespace_("default");
  (*pod.mutable_metadata()->mutable_labels())["app"] = "web";
  pod.mutable_spec()->set_node_name(node_name);
  return pod;
}

class NodeRestrictionTest : public ::testing::Test {
 protected:
  NodeRestriction plugin_{[](const std::string& name) -> absl::StatusOr<std::string> {
    if (name == "n1") return std::string("uid-n1");
    return api::NewNotFound("nodes", name);
  }};

  absl::Status Admit(const authn::UserInfo& user, Operation operation, const char* resource,
                     const std::string& ns, const std::string& name,
                     const google::protobuf::Message* object,
                     const google::protobuf::Message* old = nullptr,
                     const std::string& subresource = "") {
    return plugin_.Admit({.user = &user,
                          .operation = operation,
                          .kind = &Kind(resource),
                          .namespace_ = ns,
                          .name = name,
                          .subresource = subresource,
                          .object = object,
                          .old_object = old});
  }
};

TEST_F(NodeRestrictionTest, OnlyItsOwnNode) {
  core::v1::Node n1 = Node("n1"), n2 = Node("n2");
  EXPECT_TRUE(Admit(kN1, Operation::kCreate, "nodes", "", "n1", &n1).ok());
  EXPECT_TRUE(Admit(kN1, Operation::kUpdate, "nodes", "", "n1", &n1, &n1, "status").ok());
  EXPECT_TRUE(Admit(kN1, Operation::kUpdate, "nodes", "", "n1", &n1, &n1).ok());

  absl::Status other = Admit(kN1, Operation::kUpdate, "nodes", "", "n2", &n2, &n2, "status");
  EXPECT_EQ(other.message(),
            "nodes \"n2\" is forbidden: node \"n1\" is not allowed to modify node \"n2\"");
  EXPECT_EQ(api::ToApiStatus(other).code(), 403);
  EXPECT_EQ(api::ToApiStatus(other).reason(), "Forbidden");
  EXPECT_EQ(Admit(kN1, Operation::kCreate, "nodes", "", "n2", &n2).message(),
            "nodes \"n2\" is forbidden: node \"n1\" is not allowed to modify node \"n2\"");
  EXPECT_EQ(Admit(kN1, Operation::kDelete, "nodes", "", "n2", nullptr, &n2).message(),
            "nodes \"n2\" is forbidden: node \"n1\" is not allowed to modify node \"n2\"");
  // Everybody else may.
  EXPECT_TRUE(Admit(kAdmin, Operation::kUpdate, "nodes", "", "n2", &n2, &n2).ok());
}

TEST_F(NodeRestrictionTest, NoTaintsNorRestrictedLabels) {
  core::v1::Node old = Node("n1");
  core::v1::Node untainted = old;
  core::v1::Node tainted = old;
  auto* taint = tainted.mutable_spec()->add_taints();
  taint->set_key("node.kubernetes.io/not-ready");
  taint->set_effect("NoSchedule");
  EXPECT_EQ(Admit(kN1, Operation::kUpdate, "nodes", "", "n1", &untainted, &tainted).message(),
            "nodes \"n1\" is forbidden: node \"n1\" is not allowed to modify taints");
  EXPECT_EQ(Admit(kN1, Operation::kUpdate, "nodes", "", "n1", &tainted, &old, "status").message(),
            "nodes \"n1\" is forbidden: node \"n1\" is not allowed to modify taints");
  // Registering with taints is the kubelet's --register-with-taints.
  EXPECT_TRUE(Admit(kN1, Operation::kCreate, "nodes", "", "n1", &tainted).ok());

  core::v1::Node labelled = old;
  auto& labels = *labelled.mutable_metadata()->mutable_labels();
  labels["node-role.kubernetes.io/control-plane"] = "";
  labels["node-restriction.kubernetes.io/pool"] = "a";
  labels["team"] = "blue";
  labels["node.kubernetes.io/instance-type"] = "m";
  labels["x.kubelet.kubernetes.io/y"] = "z";
  EXPECT_EQ(Admit(kN1, Operation::kCreate, "nodes", "", "n1", &labelled).message(),
            "nodes \"n1\" is forbidden: node \"n1\" is not allowed to set the following labels: "
            "node-restriction.kubernetes.io/pool, node-role.kubernetes.io/control-plane");
  EXPECT_EQ(Admit(kN1, Operation::kUpdate, "nodes", "", "n1", &labelled, &old).message(),
            "nodes \"n1\" is forbidden: is not allowed to modify labels: "
            "node-restriction.kubernetes.io/pool, node-role.kubernetes.io/control-plane");
  // Unchanged restricted labels (an admin set them) are fine.
  EXPECT_TRUE(Admit(kN1, Operation::kUpdate, "nodes", "", "n1", &labelled, &labelled).ok());
}

TEST(NodeMayChangeLabel, KubeletLabels) {
  EXPECT_TRUE(NodeMayChangeLabel("kubernetes.io/hostname"));
  EXPECT_TRUE(NodeMayChangeLabel("kubernetes.io/os"));
  EXPECT_TRUE(NodeMayChangeLabel("beta.kubernetes.io/arch"));
  EXPECT_TRUE(NodeMayChangeLabel("topology.kubernetes.io/zone"));
  EXPECT_TRUE(NodeMayChangeLabel("node.kubernetes.io/exclude-from-external-load-balancers"));
  EXPECT_TRUE(NodeMayChangeLabel("example.com/rack"));
  EXPECT_TRUE(NodeMayChangeLabel("plain"));
  EXPECT_FALSE(NodeMayChangeLabel("node-role.kubernetes.io/worker"));
  EXPECT_FALSE(NodeMayChangeLabel("k8s.io/anything"));
  EXPECT_FALSE(NodeMayChangeLabel("a.node-restriction.kubernetes.io/x"));
}

TEST_F(NodeRestrictionTest, PodStatusOnlyOfPodsBoundToIt) {
  core::v1::Pod mine = Pod("web", "n1"), theirs = Pod("db", "n2"), unbound = Pod("new", "");
  EXPECT_TRUE(
      Admit(kN1, Operation::kUpdate, "pods", "default", "web", &mine, &mine, "status").ok());
  EXPECT_EQ(
      Admit(kN1, Operation::kUpdate, "pods", "default", "db", &theirs, &theirs, "status").message(),
      "pods \"db\" is forbidden: node \"n1\" can only update pod status for pods with "
      "spec.nodeName set to itself");
  EXPECT_FALSE(
      Admit(kN1, Operation::kUpdate, "pods", "default", "new", &unbound, &unbound, "status").ok());
  // The old object decides: a status update cannot move the pod to n1.
  EXPECT_FALSE(
      Admit(kN1, Operation::kUpdate, "pods", "default", "db", &mine, &theirs, "status").ok());
  core::v1::Pod relabelled = mine;
  (*relabelled.mutable_metadata()->mutable_labels())["app"] = "other";
  EXPECT_EQ(Admit(kN1, Operation::kUpdate, "pods", "default", "web", &relabelled, &mine, "status")
                .message(),
            "pods \"web\" is forbidden: node \"n1\" cannot update labels through pod status");
  EXPECT_TRUE(
      Admit(kAdmin, Operation::kUpdate, "pods", "default", "db", &theirs, &theirs, "status").ok());
}

TEST_F(NodeRestrictionTest, PodsDeleteOnlyBoundNoUpdate) {
  core::v1::Pod mine = Pod("web", "n1"), theirs = Pod("db", "n2");
  EXPECT_TRUE(Admit(kN1, Operation::kDelete, "pods", "default", "web", nullptr, &mine).ok());
  EXPECT_EQ(Admit(kN1, Operation::kDelete, "pods", "default", "db", nullptr, &theirs).message(),
            "pods \"db\" is forbidden: node \"n1\" can only delete pods with spec.nodeName set to "
            "itself");
  EXPECT_EQ(Admit(kN1, Operation::kUpdate, "pods", "default", "web", &mine, &mine).message(),
            "pods \"web\" is forbidden: unexpected operation \"UPDATE\", node \"n1\" can only "
            "create and delete mirror pods");
  EXPECT_EQ(
      Admit(kN1, Operation::kUpdate, "pods", "default", "web", &mine, &mine, "ephemeralcontainers")
          .message(),
      "pods \"web\" is forbidden: unexpected pod subresource \"ephemeralcontainers\", only "
      "'status' and 'eviction' are allowed");
}

TEST_F(NodeRestrictionTest, OnlyMirrorPodsOwnedByItself) {
  core::v1::Pod pod = Pod("static-web-n1", "n1");
  EXPECT_EQ(Admit(kN1, Operation::kCreate, "pods", "default", "", &pod).message(),
            "pods \"static-web-n1\" is forbidden: pod does not have "
            "\"kubernetes.io/config.mirror\" annotation, node \"n1\" can only create mirror pods");
  (*pod.mutable_metadata()->mutable_annotations())[kMirrorPodAnnotation] = "hash";
  EXPECT_EQ(Admit(kN1, Operation::kCreate, "pods", "default", "", &pod).message(),
            "pods \"static-web-n1\" is forbidden: node \"n1\" can only create pods with an owner "
            "reference set to itself");
  auto* owner = pod.mutable_metadata()->add_owner_references();
  owner->set_api_version("v1");
  owner->set_kind("Node");
  owner->set_name("n1");
  owner->set_uid("uid-n1");
  EXPECT_EQ(Admit(kN1, Operation::kCreate, "pods", "default", "", &pod).message(),
            "pods \"static-web-n1\" is forbidden: node \"n1\" can only create pods with a "
            "controller owner reference set to itself");
  owner->set_controller(true);
  EXPECT_TRUE(Admit(kN1, Operation::kCreate, "pods", "default", "", &pod).ok());

  core::v1::Pod wrong_uid = pod;
  wrong_uid.mutable_metadata()->mutable_owner_references(0)->set_uid("stale");
  EXPECT_EQ(Admit(kN1, Operation::kCreate, "pods", "default", "", &wrong_uid).message(),
            "pods \"static-web-n1\" is forbidden: node n1 UID mismatch: expected stale got "
            "uid-n1");
  core::v1::Pod elsewhere = pod;
  elsewhere.mutable_spec()->set_node_name("n2");
  EXPECT_EQ(Admit(kN1, Operation::kCreate, "pods", "default", "", &elsewhere).message(),
            "pods \"static-web-n1\" is forbidden: node \"n1\" can only create pods with "
            "spec.nodeName set to itself");
  core::v1::Pod account = pod;
  account.mutable_spec()->set_service_account_name("builder");
  EXPECT_EQ(Admit(kN1, Operation::kCreate, "pods", "default", "", &account).message(),
            "pods \"static-web-n1\" is forbidden: node \"n1\" can not create pods that reference "
            "a service account");
  core::v1::Pod secret = pod;
  secret.mutable_spec()->add_volumes()->mutable_secret()->set_secret_name("token");
  EXPECT_EQ(Admit(kN1, Operation::kCreate, "pods", "default", "", &secret).message(),
            "pods \"static-web-n1\" is forbidden: node \"n1\" can not create pods that reference "
            "secrets");
  core::v1::Pod config = pod;
  auto* env = config.mutable_spec()->add_containers()->add_env();
  env->set_name("X");
  env->mutable_value_from()->mutable_config_map_key_ref()->set_name("settings");
  EXPECT_EQ(Admit(kN1, Operation::kCreate, "pods", "default", "", &config).message(),
            "pods \"static-web-n1\" is forbidden: node \"n1\" can not create pods that reference "
            "configmaps");
}

TEST_F(NodeRestrictionTest, OnlyItsOwnLease) {
  coordination::v1::Lease mine, theirs;
  mine.mutable_metadata()->set_name("n1");
  theirs.mutable_metadata()->set_name("n2");
  EXPECT_TRUE(Admit(kN1, Operation::kCreate, "leases", "kube-node-lease", "", &mine).ok());
  EXPECT_TRUE(Admit(kN1, Operation::kUpdate, "leases", "kube-node-lease", "n1", &mine, &mine).ok());
  EXPECT_EQ(Admit(kN1, Operation::kCreate, "leases", "kube-node-lease", "", &theirs).message(),
            "leases.coordination.k8s.io \"n2\" is forbidden: can only access node lease with the "
            "same name as the requesting node");
  EXPECT_EQ(
      Admit(kN1, Operation::kUpdate, "leases", "kube-node-lease", "n2", &theirs, &theirs).message(),
      "leases.coordination.k8s.io \"n2\" is forbidden: can only access node lease with the same "
      "name as the requesting node");
  EXPECT_EQ(Admit(kN1, Operation::kCreate, "leases", "kube-system", "", &mine).message(),
            "leases.coordination.k8s.io \"n1\" is forbidden: can only access leases in the "
            "\"kube-node-lease\" system namespace");
}

TEST_F(NodeRestrictionTest, NamelessNodeAndOtherKinds) {
  const authn::UserInfo nameless{.name = "system:node:", .groups = {"system:nodes"}};
  core::v1::Pod pod = Pod("web", "n1");
  EXPECT_EQ(Admit(nameless, Operation::kDelete, "pods", "default", "web", nullptr, &pod).message(),
            "pods \"web\" is forbidden: could not determine node from user \"system:node:\"");
  // Events, services: not its business.
  core::v1::Event event;
  event.mutable_metadata()->set_name("e");
  EXPECT_TRUE(Admit(kN1, Operation::kCreate, "events", "default", "", &event).ok());
}

TEST(EnabledPlugins, NodeRestrictionAndAlwaysOn) {
  absl::StatusOr<std::vector<std::string>> plugins =
      ParseEnabledPlugins("NamespaceLifecycle, NodeRestriction,Priority,NodeRestriction");
  ASSERT_TRUE(plugins.ok()) << plugins.status();
  EXPECT_EQ(*plugins, std::vector<std::string>{"NodeRestriction"});
  EXPECT_TRUE(ParseEnabledPlugins("").ok());
  // The certificate plugins are always there.
  EXPECT_NE(NewChain(*ParseEnabledPlugins(""), {}), nullptr);
  EXPECT_NE(NewChain(*plugins, {}), nullptr);
  absl::StatusOr<std::vector<std::string>> unknown = ParseEnabledPlugins("NodeRestriction,Foo");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(),
            "enable-admission-plugins plugin \"Foo\" is unknown to minik8s-apiserver (supported: "
            "NodeRestriction; always on, accepted: NamespaceLifecycle, ServiceAccount, "
            "DefaultTolerationSeconds, Priority, CertificateApproval, CertificateSigning, "
            "CertificateSubjectRestriction)");
  EXPECT_FALSE(ParseEnabledPlugins("LimitRanger").ok());
}

TEST(Chain, FirstRefusalWins) {
  class Refuse : public Plugin {
   public:
    explicit Refuse(const char* why) : why_(why) {}
    absl::Status Admit(const Attributes&) const override {
      return absl::PermissionDeniedError(why_);
    }

   private:
    const char* why_;
  };
  std::vector<std::unique_ptr<Plugin>> plugins;
  plugins.push_back(std::make_unique<Refuse>("first"));
  plugins.push_back(std::make_unique<Refuse>("second"));
  Chain chain(std::move(plugins));
  EXPECT_EQ(chain.Admit({}).message(), "first");
}

}  // namespace
}  // namespace minik8s::apiserver::admission
