// TokenReview and the kubelets' --authentication-token-webhook under
// `minik8s up` (one node, apiserver on TLS, kubelets as kubeadm runs them):
//
//   - `kubectl create -f` of a TokenReview (the real kubectl): a
//     ServiceAccount's token from `kubectl create token` is that account
//     (user name, uid, groups, audiences); a garbage token is not
//     authenticated; the official Python client asks the same;
//   - asking needs create on tokenreviews: the ServiceAccount itself is
//     refused (403, Kubernetes' message) until bound to
//     system:auth-delegator;
//   - the kubelet API (gRPC ContainerLogs, no client certificate) with
//     `authorization: Bearer <token>`: the ServiceAccount's token is
//     authenticated by the apiserver and then authorized — Forbidden
//     without a grant on nodes/proxy, served with one; a garbage token and
//     no credentials at all are Unauthorized.
// Skips when a binary, kubectl or the Python client is missing.
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cluster/plan.h"
#include "common/tls.h"
#include "gtest/gtest.h"
#include "pki/cluster_pki.h"
#include "testing/cluster_harness.h"
#include "testing/kubelet_api.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
#include "testing/wait.h"

namespace minik8s::security {
namespace {

using ::minik8s::testing::BackendKind;
using ::minik8s::testing::ClusterHarness;
using ::minik8s::testing::WaitFor;

constexpr char kPython[] = "/usr/bin/python3";

// ContainerLogs of `pod` from the kubelet at `address`, over TLS without a
// client certificate, with `authorization` metadata when not empty.
grpc::Status ReadLogs(const std::string& address, const std::string& ca_file,
                      const std::string& pod, const std::string& authorization) {
  return testing::ReadKubeletLogs(
      address,
      {.tls = TlsClientFiles{.ca_file = ca_file}, .pod = pod, .authorization = authorization});
}

class TokenReviewE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ClusterHarness::MissingPrerequisite(BackendKind::kMinik8sStore);
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    kubectl_ = testing::FindOnPath("kubectl");
    if (kubectl_.empty()) GTEST_SKIP() << "kubectl is not installed";
    // Refusals of the kubelets' authorizer are kept 1s instead of 30s, so a
    // grant shows at once.
    cluster_ = std::make_unique<ClusterHarness>(ClusterHarness::Options{
        .nodes = 1,
        .up_flags = {"--kubelet-arg=--authorization-webhook-cache-unauthorized-ttl=1s"},
        .apiserver_tls = true});
    absl::Status started = cluster_->Start();
    ASSERT_TRUE(started.ok()) << started << "\n" << cluster_->Diagnostics();
    pki_ = pki::ClusterPkiLayout(cluster::PkiDir(cluster_->data_dir()), {"node-1"});
  }

  int Admin(std::vector<std::string> args, std::string* out) {
    return cluster_->Kubectl(std::move(args), out);
  }

  // kubectl with a kubeconfig whose only credential is `token`.
  int AsToken(const std::string& token, std::vector<std::string> args, std::string* out) {
    const std::string kubeconfig = cluster_->WriteFile(
        "token.conf",
        absl::StrCat("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                     "    server: https://",
                     cluster_->api(), "\n    certificate-authority: ", pki_.ca.cert,
                     "\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n"
                     "current-context: c\nusers:\n- name: u\n  user:\n    token: ",
                     token, "\n"));
    // A discovery cache of its own, in the harness' temp dir.
    std::vector<std::string> argv = {kubectl_, "--kubeconfig", kubeconfig, "--cache-dir",
                                     kubeconfig + ".cache"};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, out, absl::Seconds(60));
  }

  // A TokenReview manifest for `token`.
  std::string ReviewFile(const std::string& name, const std::string& token) {
    return cluster_->WriteFile(
        name, absl::StrCat("apiVersion: authentication.k8s.io/v1\nkind: TokenReview\n"
                           "spec:\n  token: ",
                           token, "\n"));
  }

  // A token of the ServiceAccount default/robot, made first.
  std::string RobotToken() {
    std::string out;
    EXPECT_EQ(Admin({"create", "sa", "robot"}, &out), 0) << out;
    EXPECT_EQ(Admin({"create", "token", "robot"}, &out), 0) << out;
    return std::string(absl::StripTrailingAsciiWhitespace(out));
  }

  std::string kubectl_;
  std::unique_ptr<ClusterHarness> cluster_;
  pki::ClusterPkiPaths pki_;
};

TEST_F(TokenReviewE2E, KubectlAndPythonReviewTokens) {
  const std::string token = RobotToken();
  ASSERT_FALSE(token.empty());
  std::string out;
  ASSERT_EQ(Admin({"get", "sa", "robot", "-o", "jsonpath={.metadata.uid}"}, &out), 0) << out;
  const std::string uid = out;

  const std::string good = ReviewFile("good.yaml", token);
  ASSERT_EQ(Admin({"create", "-f", good, "-o", "yaml"}, &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "kind: TokenReview")) << out;
  EXPECT_TRUE(absl::StrContains(out, "authenticated: true")) << out;
  EXPECT_TRUE(absl::StrContains(out, "username: system:serviceaccount:default:robot")) << out;
  ASSERT_EQ(Admin({"create", "-f", good, "-o",
                   "jsonpath={.status.authenticated} {.status.user.username} {.status.user.uid} "
                   "{.status.user.groups} {.status.audiences}"},
                  &out),
            0)
      << out;
  EXPECT_EQ(out, absl::StrCat("true system:serviceaccount:default:robot ", uid,
                              R"( ["system:serviceaccounts","system:serviceaccounts:default",)"
                              R"("system:authenticated"] ["https://kubernetes.default.svc.)"
                              R"(cluster.local"])"));

  const std::string garbage = ReviewFile("garbage.yaml", "not-a-token");
  ASSERT_EQ(Admin({"create", "-f", garbage, "-o", "jsonpath={.status}"}, &out), 0) << out;
  EXPECT_EQ(out, R"({"error":"invalid bearer token","user":{}})");

  // The official Python client.
  std::string python_out;
  if (testing::RunCommand({kPython, "-c", "import kubernetes"}, &python_out) != 0) {
    GTEST_SKIP() << kPython << " cannot import kubernetes: " << python_out;
  }
  const std::string script = absl::StrCat(
      "import sys\nfrom kubernetes import client, config\n"
      "config.load_kube_config(config_file=sys.argv[1])\n"
      "api = client.AuthenticationV1Api()\n"
      "for token in (sys.argv[2], 'not-a-token'):\n"
      "  r = api.create_token_review(client.V1TokenReview(spec=client.V1TokenReviewSpec("
      "token=token)))\n"
      "  print(r.kind, r.status.authenticated, r.status.user.username, r.status.error)\n");
  ASSERT_EQ(testing::RunCommand({kPython, "-c", script, cluster_->kubeconfig(), token}, &out,
                                absl::Seconds(60)),
            0)
      << out;
  EXPECT_EQ(out,
            "TokenReview True system:serviceaccount:default:robot None\n"
            "TokenReview None None invalid bearer token\n");
}

TEST_F(TokenReviewE2E, AskingNeedsCreateOnTokenReviews) {
  const std::string token = RobotToken();
  ASSERT_FALSE(token.empty());
  const std::string review = ReviewFile("review.yaml", token);
  std::string out;
  EXPECT_EQ(AsToken(token, {"create", "-f", review, "-o", "name"}, &out), 1) << out;
  EXPECT_EQ(out, absl::StrCat("Error from server (Forbidden): error when creating \"", review,
                              "\": tokenreviews.authentication.k8s.io is forbidden: User "
                              "\"system:serviceaccount:default:robot\" cannot create resource "
                              "\"tokenreviews\" in API group \"authentication.k8s.io\" at the "
                              "cluster scope\n"));
  // Kubernetes' system:auth-delegator grants it.
  ASSERT_EQ(Admin({"create", "clusterrolebinding", "robot-auth-delegator",
                   "--clusterrole=system:auth-delegator", "--serviceaccount=default:robot"},
                  &out),
            0)
      << out;
  EXPECT_TRUE(WaitFor(
      [&] {
        return AsToken(token, {"create", "-f", review, "-o", "jsonpath={.status.authenticated}"},
                       &out) == 0;
      },
      absl::Seconds(20)))
      << out;
  EXPECT_EQ(out, "true");
}

TEST_F(TokenReviewE2E, TheKubeletAuthenticatesBearerTokensThenAuthorizes) {
  std::string out;
  ASSERT_EQ(Admin({"create", "deployment", "web", "--image=nginx"}, &out), 0) << out;
  std::string pod;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto pods = cluster_->clientset().Pods().List("default");
        if (!pods.ok() || pods->items.empty()) return false;
        const auto& p = pods->items.front();
        if (p.status().phase() != "Running") return false;
        pod = p.metadata().name();
        return true;
      },
      absl::Seconds(60)))
      << cluster_->Diagnostics();
  const std::string token = RobotToken();
  ASSERT_FALSE(token.empty());
  auto node = cluster_->clientset().Nodes().Get("", "node-1");
  ASSERT_TRUE(node.ok()) << node.status();
  const std::string kubelet =
      absl::StrCat("127.0.0.1:", node->status().daemon_endpoints().kubelet_endpoint().port());
  const std::string bearer = absl::StrCat("Bearer ", token);

  // Authenticated by the apiserver, then refused by it: no grant yet.
  grpc::Status refused = ReadLogs(kubelet, pki_.ca.cert, pod, bearer);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  EXPECT_EQ(refused.error_message(),
            "Forbidden (user=system:serviceaccount:default:robot, verb=get, resource=nodes, "
            "subresource(s)=[proxy])");
  // A token the apiserver does not know, and no credentials at all.
  for (const std::string& authorization : {std::string("Bearer not-a-token"), std::string()}) {
    grpc::Status unknown = ReadLogs(kubelet, pki_.ca.cert, pod, authorization);
    EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED) << authorization;
    EXPECT_EQ(unknown.error_message(), "Unauthorized") << authorization;
  }

  // Granted get on nodes/proxy: served.
  ASSERT_EQ(
      Admin({"create", "clusterrole", "node-proxy-reader", "--verb=get", "--resource=nodes/proxy"},
            &out),
      0)
      << out;
  ASSERT_EQ(Admin({"create", "clusterrolebinding", "robot-node-proxy-reader",
                   "--clusterrole=node-proxy-reader", "--serviceaccount=default:robot"},
                  &out),
            0)
      << out;
  grpc::Status served;
  EXPECT_TRUE(WaitFor(
      [&] {
        served = ReadLogs(kubelet, pki_.ca.cert, pod, bearer);
        return served.ok();
      },
      absl::Seconds(20)))
      << served.error_code() << " " << served.error_message() << "\n"
      << cluster_->Diagnostics();

  absl::Status stopped = cluster_->Stop();
  EXPECT_TRUE(stopped.ok()) << stopped;
}

}  // namespace
}  // namespace minik8s::security
