// A daemon's health port in TLS mode (common/health_server.h with
// Options::tls), on loopback with certificates from a fresh cluster PKI:
// health for any client the handshake admits, /metrics and the daemon's
// pages only with a certificate of the cluster CA, a certificate of another
// CA refused in the handshake, plaintext HTTP answered with the HTTPS
// server's refusal and plaintext gRPC not served. The daemons' flags are
// checked with a real binary.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cluster/health.h"
#include "common/health_server.h"
#include "gtest/gtest.h"
#include "pki/cluster_pki.h"
#include "testing/http_client.h"
#include "testing/subprocess.h"
#include "testing/tcp_exchange.h"
#include "testing/temp_dir.h"

namespace minik8s {
namespace {

class HealthTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = pki::EnsureClusterPki(dir_.Join("pki"), {});
    ASSERT_TRUE(made.ok()) << made.status();
    pki_ = *made;
    auto other = pki::EnsureClusterPki(dir_.Join("other-pki"), {});
    ASSERT_TRUE(other.ok()) << other.status();
    other_pki_ = *other;
  }

  std::unique_ptr<HealthServer> StartTls(bool with_ca) {
    HealthServer::Options options;
    options.metrics = [] { return std::string("# TYPE up gauge\nup 1\n"); };
    options.json_pages["/rules"] = [] { return std::string("[]"); };
    options.tls = TlsServerFiles{.cert_file = pki_.health.cert,
                                 .key_file = pki_.health.key,
                                 .trusted_ca_file = with_ca ? pki_.ca.cert : ""};
    auto health = HealthServer::Start("127.0.0.1:0", std::move(options));
    EXPECT_TRUE(health.ok()) << health.status();
    if (!health.ok()) return nullptr;
    (*health)->SetServing(true);
    return *std::move(health);
  }

  TlsClientFiles CaOnly() const { return {.ca_file = pki_.ca.cert}; }
  TlsClientFiles Admin() const {
    return {.ca_file = pki_.ca.cert, .cert_file = pki_.admin.cert, .key_file = pki_.admin.key};
  }

  testing::TempDir dir_;
  pki::ClusterPkiPaths pki_;
  pki::ClusterPkiPaths other_pki_;
};

TEST_F(HealthTlsTest, HealthForAnyoneMetricsForTheCasClients) {
  std::unique_ptr<HealthServer> health = StartTls(/*with_ca=*/true);
  ASSERT_NE(health, nullptr);
  const int port = health->port();
  for (const char* path : {"/healthz", "/readyz", "/livez"}) {
    auto r = testing::HttpRequest(port, {.target = path, .tls = CaOnly()});
    ASSERT_TRUE(r.ok()) << path << ": " << r.status();
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->body, "ok") << path;
  }
  for (const char* path : {"/metrics", "/rules"}) {
    auto anonymous = testing::HttpRequest(port, {.target = path, .tls = CaOnly()});
    ASSERT_TRUE(anonymous.ok()) << anonymous.status();
    EXPECT_EQ(anonymous->status, 401) << path;
    EXPECT_TRUE(absl::StrContains(anonymous->body, "client certificate")) << anonymous->body;
    auto admin = testing::HttpRequest(port, {.target = path, .tls = Admin()});
    ASSERT_TRUE(admin.ok()) << admin.status();
    EXPECT_EQ(admin->status, 200) << path;
  }
  auto metrics = testing::HttpRequest(port, {.target = "/metrics", .tls = Admin()});
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->body, "# TYPE up gauge\nup 1\n");

  // gRPC health over TLS, with or without a client certificate.
  const std::string target = absl::StrCat("127.0.0.1:", port);
  EXPECT_TRUE(cluster::CheckGrpcHealth(target, absl::Seconds(5), CaOnly()).ok());
  EXPECT_TRUE(cluster::CheckGrpcHealth(target, absl::Seconds(5), Admin()).ok());
  health->SetServing(false);
  absl::Status not_serving = cluster::CheckGrpcHealth(target, absl::Seconds(5), Admin());
  EXPECT_FALSE(not_serving.ok());
  EXPECT_TRUE(absl::StrContains(not_serving.message(), "not SERVING")) << not_serving;
  auto healthz = testing::HttpRequest(port, {.target = "/healthz", .tls = CaOnly()});
  ASSERT_TRUE(healthz.ok());
  EXPECT_EQ(healthz->status, 503);
}

TEST_F(HealthTlsTest, PlaintextAndStrangersAreRefused) {
  std::unique_ptr<HealthServer> health = StartTls(/*with_ca=*/true);
  ASSERT_NE(health, nullptr);
  const int port = health->port();
  // Plaintext HTTP: the HTTPS server's 400, and nothing else.
  testing::TcpExchangeResult http =
      testing::TcpExchange("127.0.0.1", port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(http.connected) << http.error;
  EXPECT_TRUE(absl::StartsWith(http.answer, "HTTP/1.0 400 Bad Request")) << http.answer;
  EXPECT_TRUE(absl::StrContains(http.answer, "Client sent an HTTP request to an HTTPS server"))
      << http.answer;
  // Plaintext gRPC: closed without an answer.
  const std::string target = absl::StrCat("127.0.0.1:", port);
  EXPECT_FALSE(cluster::CheckGrpcHealth(target, absl::Seconds(3), std::nullopt).ok());
  testing::TcpExchangeResult preface =
      testing::TcpExchange("127.0.0.1", port, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  EXPECT_EQ(preface.answer, "");
  // A certificate of another CA fails the handshake, over HTTP and gRPC.
  const TlsClientFiles stranger{.ca_file = pki_.ca.cert,
                                .cert_file = other_pki_.admin.cert,
                                .key_file = other_pki_.admin.key};
  auto refused = testing::HttpRequest(port, {.target = "/healthz", .tls = stranger});
  EXPECT_FALSE(refused.ok()) << refused->status;
  EXPECT_FALSE(cluster::CheckGrpcHealth(target, absl::Seconds(3), stranger).ok());
  // A client that does not trust this CA does not get through either.
  auto untrusting = testing::HttpRequest(
      port, {.target = "/healthz", .tls = TlsClientFiles{.ca_file = other_pki_.ca.cert}});
  EXPECT_FALSE(untrusting.ok());
  // The server is still there for a proper client.
  auto healthz = testing::HttpRequest(port, {.target = "/healthz", .tls = CaOnly()});
  ASSERT_TRUE(healthz.ok()) << healthz.status();
  EXPECT_EQ(healthz->status, 200);
}

TEST_F(HealthTlsTest, WithoutACaEveryPathIsOpenOverTls) {
  std::unique_ptr<HealthServer> health = StartTls(/*with_ca=*/false);
  ASSERT_NE(health, nullptr);
  auto metrics = testing::HttpRequest(health->port(), {.target = "/metrics", .tls = CaOnly()});
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->status, 200);
}

TEST_F(HealthTlsTest, BadFilesAreNamedAtStart) {
  HealthServer::Options options;
  options.tls = TlsServerFiles{.cert_file = pki_.health.cert, .key_file = pki_.admin.key};
  auto mismatched = HealthServer::Start("127.0.0.1:0", std::move(options));
  ASSERT_FALSE(mismatched.ok());
  EXPECT_TRUE(absl::StrContains(mismatched.status().message(), pki_.admin.key))
      << mismatched.status();
  HealthServer::Options missing;
  missing.tls = TlsServerFiles{.cert_file = dir_.Join("nope.crt"), .key_file = pki_.health.key};
  auto absent = HealthServer::Start("127.0.0.1:0", std::move(missing));
  ASSERT_FALSE(absent.ok());
  EXPECT_TRUE(absl::StrContains(absent.status().message(), "nope.crt")) << absent.status();
}

TEST_F(HealthTlsTest, DaemonFlagsGoTogether) {
  const std::string runtime = testing::BinPath("minik8s-runtime");
  std::string out;
  int code =
      testing::RunCommand({runtime, "--listen", "unix://" + dir_.Join("r.sock"), "--health-address",
                           "127.0.0.1:0", "--health-tls-cert-file", pki_.health.cert},
                          &out, absl::Seconds(20));
  EXPECT_EQ(code, 1) << out;
  EXPECT_TRUE(absl::StrContains(
      out, "--health-tls-cert-file and --health-tls-private-key-file go together"))
      << out;
  code =
      testing::RunCommand({runtime, "--listen", "unix://" + dir_.Join("r.sock"), "--health-address",
                           "127.0.0.1:0", "--health-client-ca-file", pki_.ca.cert},
                          &out, absl::Seconds(20));
  EXPECT_EQ(code, 1) << out;
  EXPECT_TRUE(absl::StrContains(out, "--health-client-ca-file needs --health-tls-cert-file"))
      << out;
}

}  // namespace
}  // namespace minik8s
