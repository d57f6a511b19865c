// The Node authorizer's graph and NodeRestriction on token requests end to
// end: minik8s-apiserver over TLS with --authorization-mode=Node,RBAC,
// --enable-admission-plugins=NodeRestriction and a ServiceAccount signing
// key. Node n1's certificate (curl, the HTTP API) may read the secret its
// pod mounts and ask for a token bound to that pod, and gets Kubernetes'
// 403s for a secret no pod of its references, for a token not bound to a
// pod, and (as n2) for a pod of another node; once the pod is deleted the
// secret is out of reach again. The same token rules hold on the gRPC API
// (CreateSubresource, what a kubelet asks with). Skips when the binaries or
// curl are missing.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "client/api_client.h"
#include "client/clientset.h"
#include "client/kubeconfig.h"
#include "client/token_request.h"
#include "k8s/core/v1/core.pb.h"
#include "pki/cluster_pki.h"
#include "testing/control_plane.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
#include "testing/wait.h"

namespace minik8s::security {
namespace {

using minik8s::testing::BackendKind;
using minik8s::testing::ControlPlane;

class NodeGraphE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(BackendKind::kMinik8sStore);
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    if (curl_.empty()) GTEST_SKIP() << "curl is not installed";
    cp_ = std::make_unique<ControlPlane>(ControlPlane::Options{
        .apiserver_flags = {"--authorization-mode=Node,RBAC",
                            "--enable-admission-plugins=NodeRestriction"},
        .pki = pki::ClusterPkiOptions{.nodes = {{.name = "n1"}, {.name = "n2"}}},
        .service_account_keys = true});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  void TearDown() override {
    if (HasFailure() && cp_ != nullptr) std::cerr << cp_->LogTail("apiserver.log");
  }

  // curl as `node`: "<http code>\n<body>".
  std::string Curl(const std::string& node, const std::string& method, const std::string& path,
                   const std::string& body = "") {
    const pki::CertKeyPaths& user = cp_->pki().kubelets.at(node).client;
    std::vector<std::string> args = {
        curl_,    "-sS",     "-X",    method,  "--cacert", cp_->pki().ca.cert,
        "--cert", user.cert, "--key", user.key};
    if (!body.empty()) {
      args.insert(args.end(), {"-H", "Content-Type: application/json", "--data-binary", body});
    }
    args.insert(args.end(),
                {"-w", "\n%{http_code}", absl::StrCat("https://", cp_->apiserver_address(), path)});
    std::string out;
    EXPECT_EQ(testing::RunCommand(args, &out), 0) << out;
    const size_t last = out.rfind('\n');
    return last == std::string::npos
               ? out
               : absl::StrCat(out.substr(last + 1), "\n", out.substr(0, last));
  }

  static std::string TokenRequest(const std::string& pod, const std::string& uid) {
    if (pod.empty()) return R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest"})";
    return absl::StrCat(
        R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"boundObjectRef":)",
        R"({"apiVersion":"v1","kind":"Pod","name":")", pod, R"(","uid":")", uid, R"("}}})");
  }

  // A gRPC connection as `node` (its kubelet client certificate).
  std::unique_ptr<client::ApiClient> NodeClient(const std::string& node) {
    absl::StatusOr<std::string> config =
        cp_->WriteKubeconfig(absl::StrCat(node, ".conf"), cp_->pki().kubelets.at(node).client);
    EXPECT_TRUE(config.ok()) << config.status();
    if (!config.ok()) return nullptr;
    absl::StatusOr<client::ApiClientOptions> options =
        client::ApiClientOptionsFromKubeconfig(*config);
    EXPECT_TRUE(options.ok()) << options.status();
    if (!options.ok()) return nullptr;
    absl::StatusOr<std::unique_ptr<client::ApiClient>> api = client::ApiClient::Connect(*options);
    EXPECT_TRUE(api.ok()) << api.status();
    return api.ok() ? *std::move(api) : nullptr;
  }

  // Pod default/web on n1, of ServiceAccount robot; its uid.
  std::string CreatePodOnN1() {
    client::Clientset& admin = *cp_->clientset();
    core::v1::ServiceAccount robot;
    robot.mutable_metadata()->set_namespace_("default");
    robot.mutable_metadata()->set_name("robot");
    EXPECT_TRUE(admin.For<core::v1::ServiceAccount>().Create(robot).ok());
    core::v1::Pod pod;
    pod.mutable_metadata()->set_namespace_("default");
    pod.mutable_metadata()->set_name("web");
    pod.mutable_spec()->set_node_name("n1");
    pod.mutable_spec()->set_service_account_name("robot");
    core::v1::Container* container = pod.mutable_spec()->add_containers();
    container->set_name("main");
    container->set_image("busybox:1.36");
    absl::StatusOr<core::v1::Pod> created = admin.Pods().Create(pod);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->metadata().uid() : "";
  }

  static authentication::v1::TokenRequest BoundTo(const std::string& pod, const std::string& uid) {
    authentication::v1::TokenRequest request;
    request.mutable_spec()->set_expiration_seconds(3607);
    if (pod.empty()) return request;
    auto* ref = request.mutable_spec()->mutable_bound_object_ref();
    ref->set_api_version("v1");
    ref->set_kind("Pod");
    ref->set_name(pod);
    ref->set_uid(uid);
    return request;
  }

  std::unique_ptr<ControlPlane> cp_;
  std::string curl_ = testing::FindOnPath("curl");
};

TEST_F(NodeGraphE2E, ANodeAsksForItsPodsTokensOverGrpc) {
  const std::string uid = CreatePodOnN1();
  ASSERT_FALSE(uid.empty());
  std::unique_ptr<client::ApiClient> n1 = NodeClient("n1");
  std::unique_ptr<client::ApiClient> n2 = NodeClient("n2");
  ASSERT_NE(n1, nullptr);
  ASSERT_NE(n2, nullptr);
  client::ServiceAccountTokenClient n1_tokens(n1.get());
  client::ServiceAccountTokenClient n2_tokens(n2.get());

  // Bound to its own pod: a token, once the pod is in the graph.
  absl::StatusOr<authentication::v1::TokenRequest> token;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        token = n1_tokens.Request("default", "robot", BoundTo("web", uid));
        return token.ok();
      },
      absl::Seconds(10)))
      << token.status();
  EXPECT_TRUE(absl::StartsWith(token->status().token(), "ey")) << token->status().token();
  EXPECT_GT(token->status().expiration_timestamp().seconds(), 0);
  EXPECT_EQ(token->metadata().name(), "robot");
  EXPECT_EQ(token->spec().bound_object_ref().uid(), uid);
  ASSERT_EQ(token->spec().audiences_size(), 1) << "the apiserver's audiences by default";

  // Kubernetes' 403s, as on the HTTP API.
  absl::StatusOr<authentication::v1::TokenRequest> refused =
      n1_tokens.Request("default", "robot", BoundTo("", ""));
  EXPECT_EQ(api::Reason(refused.status()), "Forbidden") << refused.status();
  EXPECT_EQ(refused.status().message(),
            "serviceaccounts \"robot\" is forbidden: node requested token not bound to a pod");
  refused = n2_tokens.Request("default", "robot", BoundTo("web", uid));
  EXPECT_EQ(api::Reason(refused.status()), "Forbidden") << refused.status();
  EXPECT_TRUE(
      absl::StrContains(refused.status().message(), "no relationship found between node 'n2'"))
      << refused.status();

  // The admin: a missing account is NotFound; a dry run and an unknown
  // subresource are refused.
  client::ApiClient& admin = *cp_->clientset()->api();
  client::ServiceAccountTokenClient admin_tokens(&admin);
  EXPECT_TRUE(api::IsNotFound(admin_tokens.Request("default", "ghost", BoundTo("", "")).status()));
  authentication::v1::TokenRequest answer;
  absl::Status status = admin.CreateSubresource("serviceaccounts", "default", "robot", "token",
                                                BoundTo("", ""), &answer, /*dry_run=*/true);
  EXPECT_TRUE(api::IsBadRequest(status)) << status;
  EXPECT_EQ(status.message(), "dryRun is not supported");
  status = admin.CreateSubresource("pods", "default", "web", "token", BoundTo("", ""), &answer);
  EXPECT_TRUE(api::IsNotFound(status)) << status;
  EXPECT_EQ(status.message(), "the server could not find the requested resource (pods/token)");
}

TEST_F(NodeGraphE2E, ANodeReachesWhatItsPodsReference) {
  client::Clientset& admin = *cp_->clientset();
  core::v1::ServiceAccount robot;
  robot.mutable_metadata()->set_namespace_("default");
  robot.mutable_metadata()->set_name("robot");
  ASSERT_TRUE(admin.For<core::v1::ServiceAccount>().Create(robot).ok());
  for (const char* name : {"db", "other"}) {
    core::v1::Secret secret;
    secret.mutable_metadata()->set_namespace_("default");
    secret.mutable_metadata()->set_name(name);
    (*secret.mutable_string_data())["password"] = "x";
    absl::StatusOr<core::v1::Secret> created = admin.For<core::v1::Secret>().Create(secret);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  core::v1::Pod pod;
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_metadata()->set_name("web");
  pod.mutable_spec()->set_node_name("n1");
  pod.mutable_spec()->set_service_account_name("robot");
  core::v1::Volume* volume = pod.mutable_spec()->add_volumes();
  volume->set_name("creds");
  volume->mutable_secret()->set_secret_name("db");
  core::v1::Container* container = pod.mutable_spec()->add_containers();
  container->set_name("main");
  container->set_image("busybox:1.36");
  absl::StatusOr<core::v1::Pod> created = admin.Pods().Create(pod);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string uid = created->metadata().uid();
  // The token volume was added by admission.
  ASSERT_EQ(created->spec().volumes_size(), 2);
  EXPECT_TRUE(absl::StartsWith(created->spec().volumes(1).name(), "kube-api-access-"));

  // The graph follows the pods cache: wait for the pod to reach it.
  std::string answer;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        answer = Curl("n1", "GET", "/api/v1/namespaces/default/secrets/db");
        return absl::StartsWith(answer, "200\n");
      },
      absl::Seconds(10)))
      << answer;
  answer = Curl("n1", "GET", "/api/v1/namespaces/default/secrets/other");
  EXPECT_TRUE(absl::StartsWith(answer, "403\n")) << answer;
  EXPECT_TRUE(absl::StrContains(
      answer,
      R"(secrets \"other\" is forbidden: User \"system:node:n1\" cannot get resource \"secrets\" in API group \"\" in the namespace \"default\": no relationship found between node 'n1' and this object)"))
      << answer;
  answer = Curl("n2", "GET", "/api/v1/namespaces/default/secrets/db");
  EXPECT_TRUE(absl::StartsWith(answer, "403\n")) << answer;
  EXPECT_TRUE(absl::StrContains(answer, "no relationship found between node 'n2'")) << answer;

  // Tokens: bound to its own pod only.
  const std::string token_path = "/api/v1/namespaces/default/serviceaccounts/robot/token";
  answer = Curl("n1", "POST", token_path, TokenRequest("web", uid));
  EXPECT_TRUE(absl::StartsWith(answer, "201\n")) << answer;
  EXPECT_TRUE(absl::StrContains(answer, R"("token":"ey)")) << answer;
  answer = Curl("n1", "POST", token_path, TokenRequest("", ""));
  EXPECT_TRUE(absl::StartsWith(answer, "403\n")) << answer;
  EXPECT_TRUE(absl::StrContains(
      answer, R"(serviceaccounts \"robot\" is forbidden: node requested token not bound to a pod)"))
      << answer;
  answer = Curl("n1", "POST", token_path, TokenRequest("web", "not-its-uid"));
  EXPECT_TRUE(absl::StartsWith(answer, "403\n")) << answer;
  answer = Curl("n2", "POST", token_path, TokenRequest("web", uid));
  EXPECT_TRUE(absl::StartsWith(answer, "403\n")) << answer;
  EXPECT_TRUE(absl::StrContains(answer, "no relationship found between node 'n2'")) << answer;

  // The pod goes, and the secret is out of n1's reach.
  ASSERT_TRUE(admin.Pods().Delete("default", "web", {.grace_period_seconds = 0}).ok());
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        answer = Curl("n1", "GET", "/api/v1/namespaces/default/secrets/db");
        return absl::StartsWith(answer, "403\n");
      },
      absl::Seconds(10)))
      << answer;
}

}  // namespace
}  // namespace minik8s::security
