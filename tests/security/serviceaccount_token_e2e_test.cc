// ServiceAccount tokens end to end with the real kubectl: minik8s-apiserver
// over TLS with client certificates, RBAC and kubeadm's sa.key / sa.pub
// (--service-account-signing-key-file, --service-account-key-file), and
// minik8s-controller-manager running the serviceaccount controller with its
// own certificate.
//
// `kubectl create sa robot` and `kubectl create token robot` give a token;
// a kubeconfig holding only that token is the ServiceAccount (`auth whoami`,
// `auth can-i` no, then yes once a RoleBinding grants it); after `kubectl
// delete sa robot` the same token is refused (401). Every new namespace gets
// its "default" ServiceAccount, made again when deleted. Skips when the
// binaries or kubectl are missing.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/clientset.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/rbac/v1/rbac.pb.h"
#include "pki/cluster_pki.h"
#include "testing/control_plane.h"
#include "testing/store_backend.h"
#include "testing/wait.h"

namespace minik8s::apiserver {
namespace {

using minik8s::testing::BackendKind;
using minik8s::testing::ControlPlane;

class ServiceAccountTokenE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(
            BackendKind::kMinik8sStore, {"minik8s-apiserver", "minik8s-controller-manager"});
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    if (testing::FindOnPath("kubectl").empty()) GTEST_SKIP() << "kubectl is not installed";
    cp_ = std::make_unique<ControlPlane>(
        ControlPlane::Options{.apiserver_flags = {"--authorization-mode=RBAC"},
                              .pki = pki::ClusterPkiOptions{},
                              .service_account_keys = true});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    admin_ = cp_->clientset();
    // The bootstrap policy is in place once the admin sees its last object.
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          return admin_->For<rbac::v1::ClusterRoleBinding>()
              .Get("", "system:controller:service-account-controller")
              .ok();
        },
        absl::Seconds(20)));
    ASSERT_TRUE(
        cp_->StartControllerManager({"--leader-elect=false", "--controllers=serviceaccount"}).ok());
  }

  // A kubeconfig whose only credential is `token`.
  std::string TokenKubeconfig(const std::string& token) {
    absl::StatusOr<std::string> path = cp_->WriteTokenKubeconfig("token.conf", token);
    EXPECT_TRUE(path.ok()) << path.status();
    return path.value_or("/nonexistent/token.conf");
  }

  int Kubectl(const std::string& kubeconfig, std::vector<std::string> args, std::string* out) {
    return cp_->Kubectl(kubeconfig, args, out);
  }
  int Admin(std::vector<std::string> args, std::string* out) {
    return Kubectl(cp_->admin_kubeconfig(), std::move(args), out);
  }

  std::unique_ptr<ControlPlane> cp_;
  client::Clientset* admin_ = nullptr;
};

TEST_F(ServiceAccountTokenE2E, TokenIsTheServiceAccountUntilTheAccountIsDeleted) {
  std::string out;
  ASSERT_EQ(Admin({"create", "sa", "robot"}, &out), 0) << out;
  EXPECT_EQ(out, "serviceaccount/robot created\n");
  ASSERT_EQ(Admin({"get", "sa", "robot"}, &out), 0) << out;
  EXPECT_TRUE(absl::StartsWith(out, "NAME    SECRETS   AGE\nrobot   0         ")) << out;

  ASSERT_EQ(Admin({"create", "token", "robot"}, &out), 0) << out;
  const std::string token(absl::StripTrailingAsciiWhitespace(out));
  ASSERT_EQ(std::vector<std::string>(absl::StrSplit(token, '.')).size(), 3u) << token;
  const std::string as_robot = TokenKubeconfig(token);

  ASSERT_EQ(
      Kubectl(as_robot, {"auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"}, &out), 0)
      << out;
  EXPECT_EQ(out, "system:serviceaccount:default:robot");
  ASSERT_EQ(Kubectl(as_robot, {"auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}"}, &out),
            0)
      << out;
  EXPECT_EQ(
      out, R"(["system:serviceaccounts","system:serviceaccounts:default","system:authenticated"])");

  EXPECT_EQ(Kubectl(as_robot, {"auth", "can-i", "list", "pods"}, &out), 1) << out;
  EXPECT_EQ(out, "no\n");
  EXPECT_EQ(Kubectl(as_robot, {"get", "pods"}, &out), 1) << out;
  EXPECT_EQ(out,
            "Error from server (Forbidden): pods is forbidden: User "
            "\"system:serviceaccount:default:robot\" cannot list resource \"pods\" in API group "
            "\"\" in the namespace \"default\"\n");

  ASSERT_EQ(Admin({"create", "rolebinding", "robot-view", "--clusterrole=view",
                   "--serviceaccount=default:robot"},
                  &out),
            0)
      << out;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return Kubectl(as_robot, {"auth", "can-i", "list", "pods"}, &out) == 0;
      },
      absl::Seconds(20)))
      << out;
  EXPECT_EQ(out, "yes\n");
  EXPECT_EQ(Kubectl(as_robot, {"get", "pods"}, &out), 0) << out;
  EXPECT_EQ(out, "No resources found in default namespace.\n");

  ASSERT_EQ(Admin({"delete", "sa", "robot"}, &out), 0) << out;
  EXPECT_EQ(out, "serviceaccount \"robot\" deleted\n");
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return Kubectl(as_robot, {"get", "pods"}, &out) == 1;
      },
      absl::Seconds(20)))
      << out;
  EXPECT_EQ(out, "error: You must be logged in to the server (Unauthorized)\n");
  // A new account of the same name does not revive the old token.
  ASSERT_EQ(Admin({"create", "sa", "robot"}, &out), 0) << out;
  EXPECT_EQ(Kubectl(as_robot, {"get", "pods"}, &out), 1) << out;
  EXPECT_EQ(out, "error: You must be logged in to the server (Unauthorized)\n");
}

TEST_F(ServiceAccountTokenE2E, TokenRequestsAreCheckedAndAuthorized) {
  std::string out;
  ASSERT_EQ(Admin({"create", "sa", "robot"}, &out), 0) << out;
  EXPECT_EQ(Admin({"create", "token", "robot", "--duration=5m"}, &out), 1) << out;
  EXPECT_EQ(out,
            "error: failed to create token: TokenRequest.authentication.k8s.io \"robot\" is "
            "invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration "
            "less than 10 minutes\n");
  EXPECT_EQ(Admin({"create", "token", "ghost"}, &out), 1) << out;
  EXPECT_EQ(out, "error: failed to create token: serviceaccounts \"ghost\" not found\n");
  // A token for another audience is not one for this apiserver.
  ASSERT_EQ(
      Admin({"create", "token", "robot", "--audience=vault", "-o", "jsonpath={.status.token}"},
            &out),
      0)
      << out;
  // (kubectl's discovery meets the 401 first here, and says so in its words.)
  EXPECT_EQ(Kubectl(TokenKubeconfig(out), {"get", "pods"}, &out), 1) << out;
  EXPECT_TRUE(absl::StrContains(out, "error: You must be logged in to the server")) << out;
  // Asking for a token is create on serviceaccounts/token: the scheduler may not.
  EXPECT_EQ(Kubectl(cp_->scheduler_kubeconfig(), {"create", "token", "robot"}, &out), 1) << out;
  EXPECT_EQ(out,
            "error: failed to create token: serviceaccounts \"robot\" is forbidden: User "
            "\"system:kube-scheduler\" cannot create resource \"serviceaccounts/token\" in API "
            "group \"\" in the namespace \"default\"\n");
}

TEST_F(ServiceAccountTokenE2E, EveryNamespaceGetsItsDefaultServiceAccount) {
  core::v1::Namespace ns;
  ns.mutable_metadata()->set_name("team-a");
  ASSERT_TRUE(admin_->Namespaces().Create(ns).ok());
  auto accounts = admin_->For<core::v1::ServiceAccount>();
  std::string first_uid;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto got = accounts.Get("team-a", "default");
        if (got.ok()) first_uid = got->metadata().uid();
        return got.ok();
      },
      absl::Seconds(20)));
  // The apiserver's own namespaces too.
  EXPECT_TRUE(testing::WaitFor([&] { return accounts.Get("kube-system", "default").ok(); },
                               absl::Seconds(20)));
  std::string out;
  ASSERT_EQ(Admin({"delete", "sa", "default", "-n", "team-a"}, &out), 0) << out;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto got = accounts.Get("team-a", "default");
        return got.ok() && got->metadata().uid() != first_uid;
      },
      absl::Seconds(20)))
      << "the default ServiceAccount was not made again";
}

}  // namespace
}  // namespace minik8s::apiserver
