// Kubelet identities end to end: minik8s-apiserver over TLS with
// --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction.
//
// NodeIdentityE2E: node n1's client certificate (CN=system:node:n1,
// O=system:nodes, from pki::EnsureClusterPki) writes its own Node, Node
// status, Lease and the status of a pod bound to n1, and gets 403 with
// Kubernetes' messages for n2's Node, n2's Lease and a pod bound to n2, on
// the gRPC API and (with curl) the HTTP API; a caller that is no node is
// left to RBAC.
//
// KubeletUnderNodeAuthorization: `minik8s up` with those flags: the
// kubelet, presenting its node certificate, registers, heartbeats and runs
// a pod.
//
// Skips when the binaries are not built.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/time.h"
#include "client/clientset.h"
#include "cluster/plan.h"
#include "k8s/coordination/v1/coordination.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "pki/cluster_pki.h"
#include "testing/cluster_harness.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
#include "testing/wait.h"

namespace minik8s::apiserver {
namespace {

using minik8s::testing::BackendKind;
using minik8s::testing::ClusterHarness;
using minik8s::testing::ControlPlane;

constexpr char kAuthorization[] = "--authorization-mode=Node,RBAC";
constexpr char kAdmission[] = "--enable-admission-plugins=NodeRestriction";
constexpr char kLeaseNamespace[] = "kube-node-lease";

core::v1::Node Node(const std::string& name) {
  core::v1::Node node;
  node.mutable_metadata()->set_name(name);
  (*node.mutable_metadata()->mutable_labels())["kubernetes.io/hostname"] = name;
  return node;
}

core::v1::Pod Pod(const std::string& name, const std::string& node) {
  core::v1::Pod pod;
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_spec()->set_node_name(node);
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("main");
  c->set_image("busybox:1.36");
  return pod;
}

coordination::v1::Lease Lease(const std::string& name) {
  coordination::v1::Lease lease;
  lease.mutable_metadata()->set_name(name);
  lease.mutable_metadata()->set_namespace_(kLeaseNamespace);
  lease.mutable_spec()->set_holder_identity(name);
  lease.mutable_spec()->set_lease_duration_seconds(40);
  return lease;
}

// A Ready condition that says who wrote it.
void MarkReady(core::v1::Node* node, const std::string& message) {
  node->mutable_status()->clear_conditions();
  auto* ready = node->mutable_status()->add_conditions();
  ready->set_type("Ready");
  ready->set_status("True");
  ready->set_reason("KubeletReady");
  ready->set_message(message);
}

class NodeIdentityE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(BackendKind::kMinik8sStore);
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    cp_ = std::make_unique<ControlPlane>(ControlPlane::Options{
        .apiserver_flags = {kAuthorization, kAdmission},
        .pki = pki::ClusterPkiOptions{.nodes = {{.name = "n1"}, {.name = "n2"}}}});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    n1_ = Connect(cp_->pki().kubelets.at("n1").client);
    ASSERT_NE(n1_, nullptr);
  }

  void TearDown() override {
    if (HasFailure() && cp_ != nullptr) std::cerr << cp_->LogTail("apiserver.log");
  }

  TlsClientFiles Files(const pki::CertKeyPaths& user) const {
    return {.ca_file = cp_->pki().ca.cert, .cert_file = user.cert, .key_file = user.key};
  }

  std::unique_ptr<client::Clientset> Connect(const pki::CertKeyPaths& user) {
    auto cs = client::Clientset::Connect(
        {.server = Https(), .timeout = absl::Seconds(10), .tls = Files(user)});
    EXPECT_TRUE(cs.ok()) << cs.status();
    return cs.ok() ? *std::move(cs) : nullptr;
  }

  std::string Https() const { return absl::StrCat("https://", cp_->apiserver_address()); }
  client::Clientset& admin() { return *cp_->clientset(); }

  // curl as node n1: "<http code>\n<body>".
  std::string CurlAsN1(const std::string& method, const std::string& path,
                       const std::string& content_type, const std::string& body) {
    const pki::CertKeyPaths& n1 = cp_->pki().kubelets.at("n1").client;
    std::string out;
    const int code =
        testing::RunCommand({curl_, "-sS", "-X", method, "--cacert", cp_->pki().ca.cert, "--cert",
                             n1.cert, "--key", n1.key, "-H", "Content-Type: " + content_type,
                             "--data-binary", body, "-w", "\n%{http_code}", Https() + path},
                            &out);
    EXPECT_EQ(code, 0) << out;
    const size_t last = out.rfind('\n');
    return last == std::string::npos
               ? out
               : absl::StrCat(out.substr(last + 1), "\n", out.substr(0, last));
  }

  std::unique_ptr<ControlPlane> cp_;
  std::unique_ptr<client::Clientset> n1_;
  std::string curl_ = testing::FindOnPath("curl");
};

void ExpectForbidden(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(api::ToApiStatus(status).code(), 403) << status;
  EXPECT_EQ(api::ToApiStatus(status).reason(), "Forbidden") << status;
  EXPECT_EQ(status.message(), message);
}

TEST_F(NodeIdentityE2E, NodeWritesOnlyItsOwnNodeAndStatus) {
  // Registers itself; may not register another node.
  ASSERT_TRUE(n1_->Nodes().Create(Node("n1")).ok());
  ExpectForbidden(n1_->Nodes().Create(Node("n2")).status(),
                  "nodes \"n2\" is forbidden: node \"n1\" is not allowed to modify node \"n2\"");
  ASSERT_TRUE(admin().Nodes().Create(Node("n2")).ok());

  absl::StatusOr<core::v1::Node> mine = n1_->Nodes().Get("", "n1");
  ASSERT_TRUE(mine.ok()) << mine.status();
  MarkReady(&*mine, "n1 says so");
  absl::StatusOr<core::v1::Node> updated = n1_->Nodes().UpdateStatus(*mine);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->status().conditions(0).message(), "n1 says so");

  absl::StatusOr<core::v1::Node> theirs = n1_->Nodes().Get("", "n2");
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  MarkReady(&*theirs, "n1 says n2 is fine");
  ExpectForbidden(n1_->Nodes().UpdateStatus(*theirs).status(),
                  "nodes \"n2\" is forbidden: node \"n1\" is not allowed to modify node \"n2\"");
  ExpectForbidden(n1_->Nodes().Patch("", "n2", R"({"metadata":{"labels":{"x":"y"}}})").status(),
                  "nodes \"n2\" is forbidden: node \"n1\" is not allowed to modify node \"n2\"");
  // Its own taints are not its to change.
  core::v1::Node tainted = *updated;
  auto* taint = tainted.mutable_spec()->add_taints();
  taint->set_key("example.com/dedicated");
  taint->set_effect("NoSchedule");
  ExpectForbidden(n1_->Nodes().Update(tainted).status(),
                  "nodes \"n1\" is forbidden: node \"n1\" is not allowed to modify taints");

  // Somebody who is no node is RBAC's: the controller-manager may write
  // node status, the scheduler may not.
  auto cm = Connect(cp_->pki().controller_manager);
  ASSERT_NE(cm, nullptr);
  absl::StatusOr<core::v1::Node> by_cm = cm->Nodes().Get("", "n2");
  ASSERT_TRUE(by_cm.ok()) << by_cm.status();
  MarkReady(&*by_cm, "the controller-manager");
  EXPECT_TRUE(cm->Nodes().UpdateStatus(*by_cm).ok());
  auto scheduler = Connect(cp_->pki().scheduler);
  ASSERT_NE(scheduler, nullptr);
  absl::StatusOr<core::v1::Node> by_scheduler = scheduler->Nodes().Get("", "n2");
  ASSERT_TRUE(by_scheduler.ok()) << by_scheduler.status();
  EXPECT_EQ(api::ToApiStatus(scheduler->Nodes().UpdateStatus(*by_scheduler).status()).code(), 403);
}

TEST_F(NodeIdentityE2E, NodeRenewsOnlyItsOwnLease) {
  ASSERT_TRUE(n1_->Leases().Create(Lease("n1")).ok());
  ExpectForbidden(n1_->Leases().Create(Lease("n2")).status(),
                  "leases.coordination.k8s.io \"n2\" is forbidden: can only access node lease "
                  "with the same name as the requesting node");
  ASSERT_TRUE(admin().Leases().Create(Lease("n2")).ok());

  absl::StatusOr<coordination::v1::Lease> mine = n1_->Leases().Get(kLeaseNamespace, "n1");
  ASSERT_TRUE(mine.ok()) << mine.status();
  *mine->mutable_spec()->mutable_renew_time() = api::ToProtoMicroTime(absl::Now());
  EXPECT_TRUE(n1_->Leases().Update(*mine).ok());

  absl::StatusOr<coordination::v1::Lease> theirs = admin().Leases().Get(kLeaseNamespace, "n2");
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  // The Node authorizer refuses it already (the name is on the request).
  ExpectForbidden(n1_->Leases().Update(*theirs).status(),
                  "leases.coordination.k8s.io \"n2\" is forbidden: User \"system:node:n1\" cannot "
                  "update resource \"leases\" in API group \"coordination.k8s.io\" in the "
                  "namespace \"kube-node-lease\": can only access node lease with the same name "
                  "as the requesting node");
  EXPECT_EQ(api::ToApiStatus(n1_->Leases().Get(kLeaseNamespace, "n2").status()).code(), 403);
  EXPECT_EQ(api::ToApiStatus(n1_->Leases().Delete(kLeaseNamespace, "n2").status()).code(), 403);
}

TEST_F(NodeIdentityE2E, NodeUpdatesStatusOnlyOfPodsBoundToIt) {
  ASSERT_TRUE(admin().Pods().Create(Pod("web", "n1")).ok());
  ASSERT_TRUE(admin().Pods().Create(Pod("db", "n2")).ok());

  absl::StatusOr<core::v1::Pod> web = n1_->Pods().Get("default", "web");
  ASSERT_TRUE(web.ok()) << web.status();
  web->mutable_status()->set_phase("Running");
  absl::StatusOr<core::v1::Pod> updated = n1_->Pods().UpdateStatus(*web);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->status().phase(), "Running");

  absl::StatusOr<core::v1::Pod> db = n1_->Pods().Get("default", "db");
  ASSERT_TRUE(db.ok()) << db.status();
  db->mutable_status()->set_phase("Failed");
  ExpectForbidden(n1_->Pods().UpdateStatus(*db).status(),
                  "pods \"db\" is forbidden: node \"n1\" can only update pod status for pods with "
                  "spec.nodeName set to itself");
  ExpectForbidden(n1_->Pods().Delete("default", "db").status(),
                  "pods \"db\" is forbidden: node \"n1\" can only delete pods with spec.nodeName "
                  "set to itself");
  ExpectForbidden(n1_->Pods().Create(Pod("sneaky", "n1")).status(),
                  "pods \"sneaky\" is forbidden: pod does not have \"kubernetes.io/config.mirror\" "
                  "annotation, node \"n1\" can only create mirror pods");
  absl::StatusOr<core::v1::Pod> still = admin().Pods().Get("default", "db");
  ASSERT_TRUE(still.ok());
  EXPECT_NE(still->status().phase(), "Failed");
  EXPECT_TRUE(n1_->Pods().Delete("default", "web").ok());
}

TEST_F(NodeIdentityE2E, HttpApiAppliesTheSameRules) {
  if (curl_.empty()) GTEST_SKIP() << "curl is not installed";
  ASSERT_TRUE(admin().Nodes().Create(Node("n1")).ok());
  ASSERT_TRUE(admin().Nodes().Create(Node("n2")).ok());
  ASSERT_TRUE(admin().Pods().Create(Pod("web", "n1")).ok());
  ASSERT_TRUE(admin().Pods().Create(Pod("db", "n2")).ok());
  const std::string merge = "application/merge-patch+json";
  const std::string status_patch = R"({"status":{"phase":"Running"}})";

  std::string out =
      CurlAsN1("PATCH", "/api/v1/namespaces/default/pods/web/status", merge, status_patch);
  EXPECT_TRUE(absl::StartsWith(out, "200\n")) << out;
  out = CurlAsN1("PATCH", "/api/v1/namespaces/default/pods/db/status", merge, status_patch);
  EXPECT_TRUE(absl::StartsWith(out, "403\n")) << out;
  EXPECT_TRUE(absl::StrContains(out,
                                "pods \\\"db\\\" is forbidden: node \\\"n1\\\" can only update pod "
                                "status for pods with spec.nodeName set to itself"))
      << out;
  out = CurlAsN1("PATCH", "/api/v1/nodes/n1/status", merge,
                 R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})");
  EXPECT_TRUE(absl::StartsWith(out, "200\n")) << out;
  out = CurlAsN1("PATCH", "/api/v1/nodes/n2/status", merge,
                 R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})");
  EXPECT_TRUE(absl::StartsWith(out, "403\n")) << out;
  EXPECT_TRUE(absl::StrContains(
      out,
      "nodes \\\"n2\\\" is forbidden: node \\\"n1\\\" is not allowed to modify node "
      "\\\"n2\\\""))
      << out;
  out = CurlAsN1("DELETE", "/api/v1/namespaces/default/pods/db", "application/json", "");
  EXPECT_TRUE(absl::StartsWith(out, "403\n")) << out;
}

// ------------------------------------------------------------- a real kubelet

TEST(KubeletUnderNodeAuthorization, RegistersHeartbeatsAndRunsAPod) {
  if (std::string why = ClusterHarness::MissingPrerequisite(BackendKind::kMinik8sStore);
      !why.empty()) {
    GTEST_SKIP() << why;
  }
  // `minik8s up --authorization-mode=Node,RBAC` gives the apiserver both
  // flags; an `up` without that flag gets them passed on.
  std::string help;
  testing::RunCommand({testing::BinPath("minik8s"), "up", "--help"}, &help);
  std::vector<std::string> up_flags = {"--authorization-mode=Node,RBAC"};
  if (!absl::StrContains(help, "--authorization-mode")) {
    up_flags = {absl::StrCat("--apiserver-arg=", kAuthorization),
                absl::StrCat("--apiserver-arg=", kAdmission)};
  }
  ClusterHarness cluster(ClusterHarness::Options{.backend = BackendKind::kMinik8sStore,
                                                 .nodes = 1,
                                                 .up_flags = up_flags,
                                                 .apiserver_tls = true});
  // Start waits for the node to register and report Ready.
  absl::Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started << cluster.Diagnostics();
  client::Clientset& cs = cluster.clientset();

  // The flags hold: node-1's certificate (the one its kubelet presents) may
  // not register another node.
  const pki::ClusterPkiPaths pki =
      pki::ClusterPkiLayout(cluster::PkiDir(cluster.data_dir()), {"node-1"});
  const pki::CertKeyPaths& node1 = pki.kubelets.at("node-1").client;
  auto as_node1 = client::Clientset::Connect(
      {.server = cluster.api(),
       .timeout = absl::Seconds(10),
       .tls =
           TlsClientFiles{.ca_file = pki.ca.cert, .cert_file = node1.cert, .key_file = node1.key}});
  ASSERT_TRUE(as_node1.ok()) << as_node1.status();
  ExpectForbidden(
      (*as_node1)->Nodes().Create(Node("node-2")).status(),
      "nodes \"node-2\" is forbidden: node \"node-1\" is not allowed to modify node \"node-2\"");

  // Heartbeats: its Lease is renewed.
  absl::StatusOr<coordination::v1::Lease> first;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        first = cs.Leases().Get(kLeaseNamespace, "node-1");
        return first.ok();
      },
      absl::Seconds(30)))
      << first.status() << cluster.Diagnostics();
  const std::string renewed = first->spec().renew_time().SerializeAsString();
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        absl::StatusOr<coordination::v1::Lease> now = cs.Leases().Get(kLeaseNamespace, "node-1");
        return now.ok() && now->spec().renew_time().SerializeAsString() != renewed;
      },
      absl::Seconds(30)))
      << cluster.Diagnostics();

  // A pod bound to it runs, and the kubelet reports it.
  ASSERT_TRUE(cs.Pods().Create(Pod("hello", "node-1")).ok());
  absl::StatusOr<core::v1::Pod> pod;
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        pod = cs.Pods().Get("default", "hello");
        return pod.ok() && pod->status().phase() == "Running";
      },
      absl::Seconds(60)))
      << (pod.ok() ? pod->DebugString() : pod.status().ToString()) << cluster.Diagnostics();
  // And removes it when it is deleted (its final delete is NodeRestriction's
  // to allow).
  ASSERT_TRUE(cs.Pods().Delete("default", "hello").ok());
  EXPECT_TRUE(
      testing::WaitFor([&] { return api::IsNotFound(cs.Pods().Get("default", "hello").status()); },
                       absl::Seconds(60)))
      << cluster.Diagnostics();
}

}  // namespace
}  // namespace minik8s::apiserver
