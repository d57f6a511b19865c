// The store's TLS, etcd style, on minik8s-store and on a real etcd started
// with the same flags: only clients with a certificate from the cluster CA get
// in (no certificate, another CA's certificate and plaintext are refused
// during the handshake), and the apiserver reaches such a store with
// --etcd-cafile/--etcd-certfile/--etcd-keyfile. Certificates come from the
// cluster PKI (pki/cluster_pki.h), as `minik8s up` makes them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/net.h"
#include "pki/cluster_pki.h"
#include "testing/file_util.h"
#include "testing/http_client.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace minik8s {
namespace {

using testing::BackendKind;
using testing::StoreBackend;

class StoreTlsTest : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    if (GetParam() == BackendKind::kEtcd && testing::FindOnPath("etcd").empty()) {
      GTEST_SKIP() << "etcd is not installed";
    }
    auto made = pki::EnsureClusterPki(dir_.Join("pki"), {});
    ASSERT_TRUE(made.ok()) << made.status();
    pki_ = *made;
    auto other = pki::EnsureClusterPki(dir_.Join("other-pki"), {});
    ASSERT_TRUE(other.ok()) << other.status();
    other_pki_ = *other;
    backend_ = std::make_unique<StoreBackend>(
        StoreBackend::Options{.kind = GetParam(),
                              .tls = {.ca_file = pki_.ca.cert,
                                      .server_cert = pki_.store.cert,
                                      .server_key = pki_.store.key,
                                      .client_cert = pki_.apiserver_etcd_client.cert,
                                      .client_key = pki_.apiserver_etcd_client.key}});
    absl::Status s = backend_->Start();
    ASSERT_TRUE(s.ok()) << s;
  }

  // etcdctl with an explicit set of TLS flags (not the backend's own).
  testing::CommandResult Etcdctl(const std::string& endpoint, std::vector<std::string> flags,
                                 std::vector<std::string> args) {
    std::vector<std::string> argv = {
        testing::FindOnPath("etcdctl").empty() ? "/usr/bin/etcdctl"
                                               : testing::FindOnPath("etcdctl"),
        "--endpoints=" + endpoint, "--dial-timeout=2s", "--command-timeout=3s"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), args.begin(), args.end());
    testing::CommandResult r;
    r.exit_code = testing::RunCommand(argv, &r.output, absl::Seconds(20));
    return r;
  }

  testing::TempDir dir_;
  pki::ClusterPkiPaths pki_, other_pki_;
  std::unique_ptr<StoreBackend> backend_;
};

TEST_P(StoreTlsTest, OnlyClientsWithTheClusterCasCertificateGetIn) {
  auto put = backend_->Etcdctl({"put", "k", "v"});
  ASSERT_EQ(put.exit_code, 0) << put.output;
  auto get = backend_->Etcdctl({"get", "k", "--print-value-only"});
  EXPECT_EQ(get.exit_code, 0) << get.output;
  EXPECT_EQ(get.output, "v\n");

  const std::string https = backend_->endpoint();
  auto no_cert = Etcdctl(https, {"--cacert=" + pki_.ca.cert}, {"get", "k"});
  EXPECT_NE(no_cert.exit_code, 0) << no_cert.output;

  auto foreign = Etcdctl(https,
                         {"--cacert=" + pki_.ca.cert, "--cert=" + other_pki_.admin.cert,
                          "--key=" + other_pki_.admin.key},
                         {"get", "k"});
  EXPECT_NE(foreign.exit_code, 0) << foreign.output;

  auto plaintext =
      Etcdctl(absl::StrCat("http://127.0.0.1:", backend_->client_port()), {}, {"get", "k"});
  EXPECT_NE(plaintext.exit_code, 0) << plaintext.output;

  // The client checks the store too: a store certificate from another CA is
  // refused.
  auto wrong_ca =
      Etcdctl(https,
              {"--cacert=" + other_pki_.ca.cert, "--cert=" + pki_.apiserver_etcd_client.cert,
               "--key=" + pki_.apiserver_etcd_client.key},
              {"get", "k"});
  EXPECT_NE(wrong_ca.exit_code, 0) << wrong_ca.output;
}

TEST_P(StoreTlsTest, ApiserverStoresThroughTlsWithItsClientCertificate) {
  auto port = PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  testing::Subprocess api;
  ASSERT_TRUE(
      api.Start({testing::BinPath("minik8s-apiserver"), "--etcd-servers", backend_->endpoint(),
                 "--etcd-cafile", pki_.ca.cert, "--etcd-certfile", pki_.apiserver_etcd_client.cert,
                 "--etcd-keyfile", pki_.apiserver_etcd_client.key, "--port", absl::StrCat(*port)},
                dir_.Join("apiserver.log"))
          .ok());
  testing::HttpResult created;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto r = testing::HttpRequest(
            *port, {.method = "POST",
                    .target = "/api/v1/namespaces",
                    .headers = {{"Content-Type", "application/json"}},
                    .body = R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"tls"}})",
                    .timeout = absl::Seconds(5)});
        if (!r.ok()) return false;
        created = *r;
        return r->status != 503 && r->status != 504;
      },
      absl::Seconds(30)))
      << testing::FileTail(dir_.Join("apiserver.log"));
  EXPECT_EQ(created.status, 201) << created.body;
  auto stored = backend_->Etcdctl({"get", "/registry/namespaces/tls", "--keys-only"});
  EXPECT_EQ(stored.exit_code, 0) << stored.output;
  EXPECT_TRUE(absl::StrContains(stored.output, "/registry/namespaces/tls")) << stored.output;
  api.Stop(SIGTERM);
}

TEST_P(StoreTlsTest, ApiserverWithoutAClientCertificateIsNotReady) {
  auto port = PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  testing::Subprocess api;
  ASSERT_TRUE(api.Start({testing::BinPath("minik8s-apiserver"), "--etcd-servers",
                         backend_->endpoint(), "--etcd-cafile", pki_.ca.cert, "--storage-timeout",
                         "1s", "--port", absl::StrCat(*port)},
                        dir_.Join("apiserver.log"))
                  .ok());
  // It serves HTTP, but the store refuses it: every read fails.
  testing::HttpResult answer;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto r = testing::HttpRequest(
            *port, {.target = "/api/v1/namespaces/default", .timeout = absl::Seconds(5)});
        if (!r.ok()) return false;
        answer = *r;
        return true;
      },
      absl::Seconds(30)));
  EXPECT_GE(answer.status, 500) << answer.body;
  auto stored = backend_->Etcdctl({"get", "/registry", "--prefix", "--keys-only"});
  EXPECT_EQ(stored.exit_code, 0) << stored.output;
  EXPECT_EQ(stored.output, "") << "nothing may reach the store without a certificate";
  api.Stop(SIGTERM);
}

TEST(StoreTlsFlagsTest, ATlsUrlWithoutACertificateIsRefusedAtStart) {
  testing::TempDir dir;
  std::string output;
  const int code =
      testing::RunCommand({testing::BinPath("minik8s-store"), "--data-dir", dir.Join("data"),
                           "--listen-client-urls", "https://127.0.0.1:1"},
                          &output, absl::Seconds(20));
  EXPECT_NE(code, 0);
  EXPECT_TRUE(absl::StrContains(output, "needs --cert-file and --key-file")) << output;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTlsTest,
                         ::testing::Values(BackendKind::kMinik8sStore, BackendKind::kEtcd),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace minik8s
