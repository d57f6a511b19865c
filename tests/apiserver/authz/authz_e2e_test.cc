// Authorization end to end: minik8s-apiserver with --token-auth-file and
// --authorization-mode=RBAC. An unbound user is refused on both APIs with
// Kubernetes' 403 message (the audit log records the 403); a RoleBinding
// grants the same request and deleting it revokes the grant (both within
// the watch cache's lag: polled); the bootstrap policy lets the scheduler's
// identity read nodes but not delete one; bootstrap roles and bindings
// annotated autoupdate=true regain what they lack when the apiserver starts
// again, and one annotated autoupdate=false is left alone. Skips when the
// binaries are not built.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/errors.h"
#include "client/api_client.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/rbac/v1/rbac.pb.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"
#include "testing/http_client.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::apiserver {
namespace {

using minik8s::testing::BackendKind;
using minik8s::testing::ControlPlane;

constexpr char kAdminToken[] = "admin-token";
constexpr char kBobToken[] = "bob-token";
constexpr char kSchedulerToken[] = "scheduler-token";
constexpr char kBobDeletesPod[] =
    "pods \"x\" is forbidden: User \"bob\" cannot delete resource \"pods\" in API group \"\" in "
    "the namespace \"default\"";

class AuthzE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(BackendKind::kMinik8sStore);
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    const std::string tokens = dir_.Join("tokens.csv");
    ASSERT_TRUE(testing::WriteFile(
                    tokens, absl::StrCat(kAdminToken, ",admin,uid-admin,\"system:masters\"\n",
                                         kBobToken, ",bob,uid-bob\n", kSchedulerToken,
                                         ",system:kube-scheduler,uid-sched\n"))
                    .ok());
    audit_ = dir_.Join("audit.log");
    cp_ = std::make_unique<ControlPlane>(ControlPlane::Options{
        .backend = BackendKind::kMinik8sStore,
        .apiserver_flags = {"--token-auth-file=" + tokens, "--authorization-mode=RBAC",
                            "--audit-log-path=" + audit_},
        .bearer_token = kAdminToken});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    admin_ = Client(kAdminToken);
    ASSERT_NE(admin_, nullptr);
  }

  absl::StatusOr<testing::HttpResult> Http(const std::string& method, const std::string& target,
                                           const std::string& token) {
    testing::HttpCall call{.method = method, .target = target};
    call.headers["Authorization"] = "Bearer " + token;
    return testing::HttpRequest(cp_->apiserver_port(), call);
  }

  std::unique_ptr<client::ApiClient> Client(const std::string& token) {
    auto c =
        client::ApiClient::Connect({.server = cp_->apiserver_address(), .bearer_token = token});
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  // HTTP status of bob's GET of the pods in default.
  int BobListsPods() {
    auto r = Http("GET", "/api/v1/namespaces/default/pods", kBobToken);
    return r.ok() ? r->status : -1;
  }

  testing::TempDir dir_;
  std::string audit_;
  std::unique_ptr<ControlPlane> cp_;
  std::unique_ptr<client::ApiClient> admin_;
};

void ExpectForbiddenStatus(const testing::HttpResult& r, const std::string& message) {
  EXPECT_EQ(r.status, 403) << r.body;
  YAML::Node status = YAML::Load(r.body);
  EXPECT_EQ(status["kind"].as<std::string>(), "Status");
  EXPECT_EQ(status["status"].as<std::string>(), "Failure");
  EXPECT_EQ(status["reason"].as<std::string>(), "Forbidden");
  EXPECT_EQ(status["code"].as<int>(), 403);
  EXPECT_EQ(status["message"].as<std::string>(), message);
}

TEST_F(AuthzE2E, UnboundUserIsForbiddenOnBothApis) {
  auto del = Http("DELETE", "/api/v1/namespaces/default/pods/x", kBobToken);
  ASSERT_TRUE(del.ok());
  ExpectForbiddenStatus(*del, kBobDeletesPod);
  EXPECT_EQ(YAML::Load(del->body)["details"]["kind"].as<std::string>(), "pods");
  EXPECT_EQ(YAML::Load(del->body)["details"]["name"].as<std::string>(), "x");

  auto list = Http("GET", "/apis/apps/v1/deployments", kBobToken);
  ASSERT_TRUE(list.ok());
  ExpectForbiddenStatus(*list,
                        "deployments.apps is forbidden: User \"bob\" cannot list resource "
                        "\"deployments\" in API group \"apps\" at the cluster scope");
  auto metrics = Http("GET", "/metrics", kBobToken);
  ASSERT_TRUE(metrics.ok());
  ExpectForbiddenStatus(*metrics, "forbidden: User \"bob\" cannot get path \"/metrics\"");
  // Discovery is granted to every authenticated user (system:discovery).
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto apis = Http("GET", "/apis", kBobToken);
        return apis.ok() && apis->status == 200;
      },
      absl::Seconds(10)));

  auto bob = Client(kBobToken);
  ASSERT_NE(bob, nullptr);
  absl::Status s = bob->Delete("pods", "default", "x", {});
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(s.message(), kBobDeletesPod);
  EXPECT_EQ(api::Reason(s), "Forbidden");
  auto watch = bob->Watch("pods", "default", {}, core::v1::Pod::default_instance());
  if (watch.ok()) {
    client::WatchEvent event;
    EXPECT_FALSE((*watch)->Next(&event));
    EXPECT_EQ((*watch)->status().code(), absl::StatusCode::kPermissionDenied);
  } else {
    EXPECT_EQ(watch.status().code(), absl::StatusCode::kPermissionDenied);
  }

  // The audit log records the refusal.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        for (absl::string_view line :
             absl::StrSplit(testing::ReadFile(audit_), '\n', absl::SkipEmpty())) {
          YAML::Node e = YAML::Load(std::string(line));
          if (e["requestURI"].as<std::string>() == "/api/v1/namespaces/default/pods/x" &&
              e["user"]["username"].as<std::string>() == "bob" &&
              e["responseStatus"]["code"].as<int>() == 403) {
            return true;
          }
        }
        return false;
      },
      absl::Seconds(10)));
}

TEST_F(AuthzE2E, RoleBindingGrantsAndItsDeletionRevokes) {
  EXPECT_EQ(BobListsPods(), 403);
  rbac::v1::Role role;
  role.mutable_metadata()->set_name("pod-reader");
  auto* rule = role.add_rules();
  rule->add_api_groups("");
  rule->add_resources("pods");
  rule->add_verbs("get");
  rule->add_verbs("list");
  rbac::v1::Role stored_role;
  ASSERT_TRUE(admin_->Create("roles", "default", role, &stored_role).ok());
  rbac::v1::RoleBinding binding;
  binding.mutable_metadata()->set_name("bob-reads-pods");
  binding.mutable_role_ref()->set_kind("Role");
  binding.mutable_role_ref()->set_name("pod-reader");
  auto* subject = binding.add_subjects();
  subject->set_kind("User");
  subject->set_name("bob");
  rbac::v1::RoleBinding stored_binding;
  absl::Status created = admin_->Create("rolebindings", "default", binding, &stored_binding);
  ASSERT_TRUE(created.ok()) << created;
  EXPECT_EQ(stored_binding.role_ref().api_group(), "rbac.authorization.k8s.io");

  ASSERT_TRUE(testing::WaitFor([&] { return BobListsPods() == 200; }, absl::Seconds(10)));
  auto bob = Client(kBobToken);
  ASSERT_NE(bob, nullptr);
  EXPECT_TRUE(bob->List("pods", "default", {}, core::v1::Pod::default_instance()).ok());
  // Only there, and only reading.
  auto other = Http("GET", "/api/v1/namespaces/kube-system/pods", kBobToken);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 403);
  auto del = Http("DELETE", "/api/v1/namespaces/default/pods/x", kBobToken);
  ASSERT_TRUE(del.ok());
  ExpectForbiddenStatus(*del, kBobDeletesPod);

  ASSERT_TRUE(admin_->Delete("rolebindings", "default", "bob-reads-pods", {}).ok());
  ASSERT_TRUE(testing::WaitFor([&] { return BobListsPods() == 403; }, absl::Seconds(10)));
  EXPECT_EQ(bob->List("pods", "default", {}, core::v1::Pod::default_instance()).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AuthzE2E, SchedulerIdentityCannotDeleteANode) {
  core::v1::Node node;
  node.mutable_metadata()->set_name("node-1");
  core::v1::Node stored;
  ASSERT_TRUE(admin_->Create("nodes", "", node, &stored).ok());
  // The bootstrap policy lets the scheduler read nodes.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto r = Http("GET", "/api/v1/nodes", kSchedulerToken);
        return r.ok() && r->status == 200;
      },
      absl::Seconds(10)));
  const std::string message =
      "nodes \"node-1\" is forbidden: User \"system:kube-scheduler\" cannot delete resource "
      "\"nodes\" in API group \"\" at the cluster scope";
  auto r = Http("DELETE", "/api/v1/nodes/node-1", kSchedulerToken);
  ASSERT_TRUE(r.ok());
  ExpectForbiddenStatus(*r, message);
  auto scheduler = Client(kSchedulerToken);
  ASSERT_NE(scheduler, nullptr);
  absl::Status s = scheduler->Delete("nodes", "", "node-1", {});
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(s.message(), message);
  EXPECT_TRUE(admin_->Get("nodes", "", "node-1", &stored).ok()) << "the node is still there";
}

// mkctl auth can-i and the HTTP SelfSubjectAccessReview answer for the
// caller, through a grant.
TEST_F(AuthzE2E, AuthCanI) {
  const std::string mkctl = testing::BinPath("mkctl");
  if (access(mkctl.c_str(), X_OK) != 0) GTEST_SKIP() << "mkctl is not built";
  auto can_i = [&](const std::string& token, std::vector<std::string> args, std::string* out) {
    std::vector<std::string> argv = {mkctl,  "--server", cp_->apiserver_address(), "--token", token,
                                     "auth", "can-i"};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, out, absl::Seconds(30));
  };
  std::string out;
  // basic-user (which lets bob ask) comes with the bootstrap policy.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return can_i(kBobToken, {"get", "pods"}, &out) == 1;
      },
      absl::Seconds(10)))
      << out;
  EXPECT_EQ(out, "no\n");
  EXPECT_EQ(can_i(kAdminToken, {"delete", "nodes", "-A"}, &out), 0) << out;
  EXPECT_EQ(out, "yes\n");
  EXPECT_EQ(can_i(kSchedulerToken, {"delete", "nodes/node-1"}, &out), 1) << out;
  EXPECT_EQ(can_i(kSchedulerToken, {"create", "pods", "--subresource", "binding"}, &out), 0) << out;
  EXPECT_EQ(can_i(kBobToken, {"get", "/version"}, &out), 0) << out;

  rbac::v1::RoleBinding binding;
  binding.mutable_metadata()->set_name("bob-views");
  binding.mutable_role_ref()->set_kind("ClusterRole");
  binding.mutable_role_ref()->set_name("view");
  auto* subject = binding.add_subjects();
  subject->set_kind("User");
  subject->set_name("bob");
  rbac::v1::RoleBinding stored;
  ASSERT_TRUE(admin_->Create("rolebindings", "default", binding, &stored).ok());
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return can_i(kBobToken, {"list", "pods"}, &out) == 0;
      },
      absl::Seconds(10)))
      << out;
  EXPECT_EQ(can_i(kBobToken, {"list", "pods", "-n", "kube-system"}, &out), 1) << out;
  EXPECT_EQ(can_i(kBobToken, {"delete", "pods"}, &out), 1) << out;

  testing::HttpCall call{
      .method = "POST",
      .target = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
      .headers = {{"Authorization", absl::StrCat("Bearer ", kBobToken)},
                  {"Content-Type", "application/json"}},
      .body = R"({"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview",)"
              R"("spec":{"resourceAttributes":{"namespace":"default","verb":"get",)"
              R"("resource":"pods"}}})"};
  auto r = testing::HttpRequest(cp_->apiserver_port(), call);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 201) << r->body;
  YAML::Node answer = YAML::Load(r->body);
  EXPECT_EQ(answer["kind"].as<std::string>(), "SelfSubjectAccessReview");
  EXPECT_TRUE(answer["status"]["allowed"].as<bool>()) << r->body;
}

TEST_F(AuthzE2E, BootstrapPolicyIsCreated) {
  std::vector<std::string> names;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto list = admin_->List("clusterrolebindings", "", {},
                                 rbac::v1::ClusterRoleBinding::default_instance());
        return list.ok() && list->items.size() >= 8;
      },
      absl::Seconds(10)));
  rbac::v1::ClusterRole admin_role;
  ASSERT_TRUE(admin_->Get("clusterroles", "", "cluster-admin", &admin_role).ok());
  EXPECT_EQ(admin_role.metadata().labels().at("kubernetes.io/bootstrapping"), "rbac-defaults");
  rbac::v1::ClusterRoleBinding node_binding;
  ASSERT_TRUE(admin_->Get("clusterrolebindings", "", "system:node", &node_binding).ok());
  EXPECT_EQ(node_binding.subjects_size(), 0);
  // The public endpoints stay open to anonymous callers.
  testing::HttpCall call{.target = "/version"};
  auto version = testing::HttpRequest(cp_->apiserver_port(), call);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->status, 200) << version->body;
}

TEST_F(AuthzE2E, BootstrapObjectsGainWhatTheyLackAtTheNextStart) {
  constexpr char kAutoupdate[] = "rbac.authorization.kubernetes.io/autoupdate";
  rbac::v1::ClusterRole full_cm, cut_cm, sched;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return admin_->Get("clusterroles", "", "system:kube-controller-manager", &full_cm).ok();
      },
      absl::Seconds(10)));
  ASSERT_GT(full_cm.rules_size(), 2);
  // An older build's role, annotated autoupdate=true: it lacks rules.
  rbac::v1::ClusterRole cm = full_cm;
  cm.mutable_rules()->DeleteSubrange(1, cm.rules_size() - 1);
  ASSERT_TRUE(admin_->Update("clusterroles", "", cm.metadata().name(), "", cm, &cut_cm).ok());
  // An admin's own version, annotated autoupdate=false: left as it is.
  ASSERT_TRUE(admin_->Get("clusterroles", "", "system:kube-scheduler", &sched).ok());
  const int sched_rules = sched.rules_size();
  ASSERT_GT(sched_rules, 1);
  (*sched.mutable_metadata()->mutable_annotations())[kAutoupdate] = "false";
  sched.mutable_rules()->DeleteSubrange(0, 1);
  rbac::v1::ClusterRole stored;
  ASSERT_TRUE(admin_->Update("clusterroles", "", sched.metadata().name(), "", sched, &stored).ok());
  // A binding that lost its subject.
  rbac::v1::ClusterRoleBinding proxier, cut_proxier;
  ASSERT_TRUE(admin_->Get("clusterrolebindings", "", "system:node-proxier", &proxier).ok());
  ASSERT_EQ(proxier.subjects_size(), 1);
  proxier.clear_subjects();
  ASSERT_TRUE(
      admin_
          ->Update("clusterrolebindings", "", proxier.metadata().name(), "", proxier, &cut_proxier)
          .ok());

  absl::Status restarted = cp_->RestartApiserver(SIGTERM);
  ASSERT_TRUE(restarted.ok()) << restarted;
  admin_ = Client(kAdminToken);
  ASSERT_NE(admin_, nullptr);
  rbac::v1::ClusterRole after_cm, after_sched;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return admin_->Get("clusterroles", "", "system:kube-controller-manager", &after_cm).ok() &&
               after_cm.rules_size() == full_cm.rules_size();
      },
      absl::Seconds(10)))
      << after_cm.DebugString();
  for (int i = 0; i < full_cm.rules_size(); ++i) {
    bool found = false;
    for (const auto& rule : after_cm.rules()) {
      found = found || rule.SerializeAsString() == full_cm.rules(i).SerializeAsString();
    }
    EXPECT_TRUE(found) << full_cm.rules(i).DebugString();
  }
  ASSERT_TRUE(admin_->Get("clusterroles", "", "system:kube-scheduler", &after_sched).ok());
  EXPECT_EQ(after_sched.rules_size(), sched_rules - 1);
  rbac::v1::ClusterRoleBinding after_proxier;
  ASSERT_TRUE(admin_->Get("clusterrolebindings", "", "system:node-proxier", &after_proxier).ok());
  ASSERT_EQ(after_proxier.subjects_size(), 1);
  EXPECT_EQ(after_proxier.subjects(0).name(), "system:kube-proxy");
}

}  // namespace
}  // namespace minik8s::apiserver
