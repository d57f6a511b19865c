// The apiserver's own port over TLS, end to end: minik8s-apiserver with
// --tls-cert-file, --tls-private-key-file and --client-ca-file from the
// cluster PKI (pki/cluster_pki.h) serves gRPC and the HTTP API only over
// TLS; a client certificate signed by the cluster CA names the user (CN)
// and groups (O) on both APIs; a request without one gets 401 outside the
// public endpoints; a certificate from another CA fails the handshake;
// plaintext is refused. The gRPC checks run on both gRPC listeners: the
// apiserver's port and its own gRPC port (--grpc-port). The real kubectl and curl are the HTTP
// clients. Skips when the binaries are not built.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/api_client.h"
#include "client/kubeconfig.h"
#include "k8s/core/v1/core.pb.h"
#include "pki/cluster_pki.h"
#include "testing/control_plane.h"
#include "testing/file_util.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::apiserver {
namespace {

using minik8s::testing::BackendKind;
using minik8s::testing::ControlPlane;

class ApiserverTlsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(BackendKind::kMinik8sStore);
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    auto other = pki::EnsureClusterPki(dir_.Join("other-pki"), {});
    ASSERT_TRUE(other.ok()) << other.status();
    other_pki_ = *other;
    audit_ = dir_.Join("audit.log");
    cp_ = std::make_unique<ControlPlane>(ControlPlane::Options{
        .apiserver_flags = {"--audit-log-path=" + audit_}, .pki = pki::ClusterPkiOptions{}});
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  const pki::ClusterPkiPaths& pki() const { return cp_->pki(); }
  TlsClientFiles Admin() const {
    return {.ca_file = pki().ca.cert, .cert_file = pki().admin.cert, .key_file = pki().admin.key};
  }

  std::unique_ptr<client::ApiClient> Client(const std::string& server,
                                            std::optional<TlsClientFiles> tls) {
    auto c = client::ApiClient::Connect(
        {.server = server, .timeout = absl::Seconds(5), .tls = std::move(tls)});
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  std::string Https() const { return absl::StrCat("https://", cp_->apiserver_address()); }
  std::string GrpcHttps() const {
    return absl::StrCat("https://127.0.0.1:", cp_->apiserver_grpc_port());
  }
  // Where gRPC is served: the apiserver's port (its TLS relays gRPC) and
  // its own gRPC port (gRPC's TLS).
  std::vector<std::string> Servers() const { return {Https(), GrpcHttps()}; }

  // A kubeconfig for the real kubectl without a client certificate: a
  // bearer token the apiserver, which has no token file, does not look at
  // (without any credentials kubectl would prompt for a password).
  std::string NobodyKubeconfig() {
    absl::StatusOr<std::string> path = cp_->WriteTokenKubeconfig("nobody.conf", "not-looked-at");
    EXPECT_TRUE(path.ok()) << path.status();
    return path.value_or("/nonexistent/nobody.conf");
  }

  // The audit events for `uri`, once there are `count`.
  std::vector<YAML::Node> AuditEvents(const std::string& uri, size_t count) {
    std::vector<YAML::Node> events;
    testing::WaitFor(
        [&] {
          events.clear();
          for (absl::string_view line :
               absl::StrSplit(testing::ReadFile(audit_), '\n', absl::SkipEmpty())) {
            YAML::Node e = YAML::Load(std::string(line));
            if (e["requestURI"].as<std::string>() == uri &&
                e["stage"].as<std::string>() == "ResponseComplete") {
              events.push_back(e);
            }
          }
          return events.size() >= count;
        },
        absl::Seconds(10));
    return events;
  }

  testing::TempDir dir_;  // the other CA's PKI, the audit log
  pki::ClusterPkiPaths other_pki_;
  std::string audit_;
  std::unique_ptr<ControlPlane> cp_;
};

TEST_F(ApiserverTlsE2E, GrpcClientCertificateIsTheUser) {
  const std::string uri = "/minik8s.apiserver.v1.ApiServer/Get";
  // The control plane's own readiness checks are in the log already.
  size_t seen = AuditEvents(uri, 0).size();
  for (const std::string& server : Servers()) {
    SCOPED_TRACE(server);
    core::v1::Namespace ns;
    auto admin = Client(server, Admin());
    ASSERT_NE(admin, nullptr);
    ASSERT_TRUE(admin->Get("namespaces", "", "default", &ns).ok());
    EXPECT_EQ(ns.metadata().name(), "default");

    // The scheduler's certificate is another user; the audit log tells them
    // apart.
    auto scheduler = Client(server, TlsClientFiles{.ca_file = pki().ca.cert,
                                                   .cert_file = pki().scheduler.cert,
                                                   .key_file = pki().scheduler.key});
    ASSERT_NE(scheduler, nullptr);
    ASSERT_TRUE(scheduler->Get("namespaces", "", "kube-public", &ns).ok());
    seen += 2;
    std::vector<YAML::Node> events = AuditEvents(uri, seen);
    ASSERT_GE(events.size(), seen);
    seen = events.size();  // the log is in order: these two calls are last
    std::vector<std::string> users;
    for (size_t i = seen - 2; i < seen; ++i) {
      users.push_back(events[i]["user"]["username"].as<std::string>());
    }
    EXPECT_NE(std::find(users.begin(), users.end(), "kubernetes-admin"), users.end());
    EXPECT_NE(std::find(users.begin(), users.end(), "system:kube-scheduler"), users.end());
    for (size_t i = seen - 2; i < seen; ++i) {
      const YAML::Node& e = events[i];
      if (e["user"]["username"].as<std::string>() != "kubernetes-admin") continue;
      std::vector<std::string> groups;
      for (const YAML::Node& g : e["user"]["groups"]) groups.push_back(g.as<std::string>());
      EXPECT_EQ(groups, (std::vector<std::string>{"system:masters", "system:authenticated"}));
    }
  }
}

TEST_F(ApiserverTlsE2E, GrpcWithoutCertificateIsUnauthenticated) {
  for (const std::string& server : Servers()) {
    SCOPED_TRACE(server);
    auto anonymous = Client(server, TlsClientFiles{.ca_file = pki().ca.cert});
    ASSERT_NE(anonymous, nullptr);
    core::v1::Namespace ns;
    absl::Status s = anonymous->Get("namespaces", "", "default", &ns);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
    EXPECT_TRUE(anonymous->Version().ok()) << "the version is public";
  }
}

TEST_F(ApiserverTlsE2E, GrpcIsRefusedWithAForeignCertificateOrInPlaintext) {
  for (const std::string& server : Servers()) {
    SCOPED_TRACE(server);
    core::v1::Namespace ns;
    // A client certificate from another CA fails the handshake.
    auto foreign = Client(server, TlsClientFiles{.ca_file = pki().ca.cert,
                                                 .cert_file = other_pki_.admin.cert,
                                                 .key_file = other_pki_.admin.key});
    ASSERT_NE(foreign, nullptr);
    EXPECT_EQ(foreign->Get("namespaces", "", "default", &ns).code(),
              absl::StatusCode::kUnavailable);
    // A client that trusts another CA does not accept the server.
    auto distrustful = Client(server, TlsClientFiles{.ca_file = other_pki_.ca.cert,
                                                     .cert_file = other_pki_.admin.cert,
                                                     .key_file = other_pki_.admin.key});
    ASSERT_NE(distrustful, nullptr);
    EXPECT_EQ(distrustful->Get("namespaces", "", "default", &ns).code(),
              absl::StatusCode::kUnavailable);
    // Plaintext gRPC gets nowhere.
    auto plain = Client(std::string(absl::StripPrefix(server, "https://")), std::nullopt);
    ASSERT_NE(plain, nullptr);
    EXPECT_EQ(plain->Get("namespaces", "", "default", &ns).code(), absl::StatusCode::kUnavailable);
  }
}

// The admin kubeconfig names the gRPC port (client::kGrpcExtension): a
// client built from it goes there, and is still the admin.
TEST_F(ApiserverTlsE2E, TheKubeconfigLeadsToTheGrpcPort) {
  absl::StatusOr<client::ApiClientOptions> options =
      client::ApiClientOptionsFromKubeconfig(cp_->admin_kubeconfig());
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->grpc_server, GrpcHttps());
  options->timeout = absl::Seconds(5);
  auto admin = client::ApiClient::Connect(*options);
  ASSERT_TRUE(admin.ok()) << admin.status();
  core::v1::Namespace ns;
  ASSERT_TRUE((*admin)->Get("namespaces", "", "kube-system", &ns).ok());
  std::vector<YAML::Node> events = AuditEvents("/minik8s.apiserver.v1.ApiServer/Get", 1);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["user"]["username"].as<std::string>(), "kubernetes-admin");
  // A connection on the gRPC port has its address as the source IP (a
  // relayed one is only a descriptor).
  EXPECT_EQ(events.back()["sourceIPs"][0].as<std::string>(), "127.0.0.1");
}

TEST_F(ApiserverTlsE2E, RealKubectlWithTheAdminCertificate) {
  if (testing::FindOnPath("kubectl").empty()) GTEST_SKIP() << "kubectl is not installed";
  std::string out;
  int code = cp_->Kubectl(cp_->admin_kubeconfig(), {"get", "namespaces", "-o", "name"}, &out);
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "namespace/default")) << out;
  // Without a certificate: Unauthorized, as kubectl words it.
  code = cp_->Kubectl(NobodyKubeconfig(), {"get", "namespaces"}, &out);
  EXPECT_NE(code, 0);
  EXPECT_TRUE(absl::StrContains(out, "You must be logged in to the server")) << out;
  // The HTTP audit event names the certificate's user.
  std::vector<YAML::Node> events = AuditEvents("/api/v1/namespaces?limit=500", 2);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0]["user"]["username"].as<std::string>(), "kubernetes-admin");
  EXPECT_EQ(events[0]["responseStatus"]["code"].as<int>(), 200);
  EXPECT_EQ(events[1]["user"]["username"].as<std::string>(), "system:anonymous");
  EXPECT_EQ(events[1]["responseStatus"]["code"].as<int>(), 401);
}

TEST_F(ApiserverTlsE2E, MkctlThroughTheKubeconfig) {
  const std::string mkctl = testing::BinPath("mkctl");
  if (access(mkctl.c_str(), X_OK) != 0) GTEST_SKIP() << "mkctl is not built";
  const std::string admin = cp_->admin_kubeconfig();
  std::string out;
  // gRPC over TLS with the admin's certificate.
  int code = cp_->Mkctl(admin, {"get", "namespaces", "-o", "name"}, &out);
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "namespace/default")) << out;
  // explain reads the OpenAPI document over https.
  code = cp_->Mkctl(admin, {"explain", "pod.spec.nodeName"}, &out);
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "FIELD: nodeName <string>")) << out;
  // kubectl's TLS flags instead of a kubeconfig.
  code = testing::RunCommand(
      {mkctl, "--server", Https(), "--certificate-authority", pki().ca.cert, "--client-certificate",
       pki().admin.cert, "--client-key", pki().admin.key, "get", "namespaces", "-o", "name"},
      &out, absl::Seconds(30));
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "namespace/default")) << out;
  // Without a certificate: refused.
  code = cp_->Mkctl(NobodyKubeconfig(), {"get", "namespaces"}, &out);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(out, "error: You must be logged in to the server (Unauthorized)\n");
}

TEST_F(ApiserverTlsE2E, CurlSeesTlsOnlyAndThePublicEndpoints) {
  const std::string curl = testing::FindOnPath("curl");
  if (curl.empty()) GTEST_SKIP() << "curl is not installed";
  std::string out;
  // Plain HTTP to the TLS port: Go's answer.
  int code = testing::RunCommand(
      {curl, "-sS", absl::StrCat("http://", cp_->apiserver_address(), "/healthz")}, &out,
      absl::Seconds(30));
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "Client sent an HTTP request to an HTTPS server.\n");
  // Over TLS without a certificate: /readyz is public, the API is not.
  code = testing::RunCommand({curl, "-sS", "--cacert", pki().ca.cert, Https() + "/readyz"}, &out,
                             absl::Seconds(30));
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "ok");
  code = testing::RunCommand({curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                              pki().ca.cert, Https() + "/api/v1/namespaces"},
                             &out, absl::Seconds(30));
  EXPECT_EQ(out, "401");
  // With the admin certificate, over HTTP/1.1 although curl offers h2 too.
  code = testing::RunCommand({curl, "-sS", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                              "--cacert", pki().ca.cert, "--cert", pki().admin.cert, "--key",
                              pki().admin.key, Https() + "/api/v1/namespaces"},
                             &out, absl::Seconds(30));
  EXPECT_EQ(out, "200 1.1");
  // A certificate from another CA is refused in the handshake.
  code =
      testing::RunCommand({curl, "-sS", "--cacert", pki().ca.cert, "--cert", other_pki_.admin.cert,
                           "--key", other_pki_.admin.key, Https() + "/readyz"},
                          &out, absl::Seconds(30));
  EXPECT_NE(code, 0) << out;
}

}  // namespace
}  // namespace minik8s::apiserver
