// How a component's or mkctl's connection is read from a kubeconfig
// (client/kubeconfig.h): server, CA, client certificate and key as paths
// (relative to the file's folder) or base64 data, token, and the errors.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/kubeconfig.h"
#include "testing/file_util.h"
#include "testing/temp_dir.h"

namespace minik8s::client {
namespace {

std::string Config(const std::string& server, const std::string& cluster_fields,
                   const std::string& user_fields) {
  return absl::StrCat(
      "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n"
      "    server: ",
      server, "\n", cluster_fields,
      "contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\nusers:\n- name: u\n"
      "  user:\n",
      user_fields.empty() ? "    {}\n" : user_fields);
}

class KubeconfigOptionsTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    const std::string path = dir_.Join("kubeconfig");
    EXPECT_TRUE(testing::WriteFile(path, text).ok());
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(KubeconfigOptionsTest, PathsAreRelativeToTheFilesFolder) {
  const std::string path =
      Write(Config("https://127.0.0.1:6443", "    certificate-authority: pki/ca.crt\n",
                   "    client-certificate: /abs/admin.crt\n    client-key: pki/admin.key\n"));
  absl::StatusOr<ApiClientOptions> o = ApiClientOptionsFromKubeconfig(path);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->server, "https://127.0.0.1:6443");
  ASSERT_TRUE(o->tls.has_value());
  EXPECT_EQ(o->tls->ca_file, dir_.Join("pki/ca.crt"));
  EXPECT_EQ(o->tls->cert_file, "/abs/admin.crt");
  EXPECT_EQ(o->tls->key_file, dir_.Join("pki/admin.key"));
  EXPECT_TRUE(o->bearer_token.empty());
}

TEST_F(KubeconfigOptionsTest, DataFieldsAreDecoded) {
  const std::string path = Write(
      Config("https://127.0.0.1:6443",
             absl::StrCat("    certificate-authority-data: ", absl::Base64Escape("CA PEM"), "\n"),
             absl::StrCat("    client-certificate-data: ", absl::Base64Escape("CERT PEM"),
                          "\n    client-key-data: ", absl::Base64Escape("KEY PEM"), "\n")));
  absl::StatusOr<ApiClientOptions> o = ApiClientOptionsFromKubeconfig(path);
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_TRUE(o->tls.has_value());
  EXPECT_EQ(o->tls->ca_pem, "CA PEM");
  EXPECT_EQ(o->tls->cert_pem, "CERT PEM");
  EXPECT_EQ(o->tls->key_pem, "KEY PEM");
  EXPECT_TRUE(o->tls->ca_file.empty());
}

TEST_F(KubeconfigOptionsTest, PlainServerWithTokenHasNoTls) {
  const std::string path = Write(Config("http://127.0.0.1:6443", "", "    token: abc\n"));
  absl::StatusOr<ApiClientOptions> o = ApiClientOptionsFromKubeconfig(path);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->tls.has_value());
  EXPECT_EQ(o->bearer_token, "abc");
  // An https server alone still dials TLS (the system's roots).
  o = ApiClientOptionsFromKubeconfig(Write(Config("https://127.0.0.1:6443", "", "")));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->tls.has_value());
}

TEST_F(KubeconfigOptionsTest, ErrorsNameTheFile) {
  absl::StatusOr<ApiClientOptions> o = ApiClientOptionsFromKubeconfig(dir_.Join("missing"));
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(o.status().message(), dir_.Join("missing"))) << o.status();
  o = ApiClientOptionsFromKubeconfig(Write("current-context: nope\n"));
  EXPECT_TRUE(absl::StrContains(o.status().message(), "\"nope\" is not defined")) << o.status();
  o = ApiClientOptionsFromKubeconfig(
      Write(Config("https://x:1", "    certificate-authority-data: '%%%'\n", "")));
  EXPECT_TRUE(absl::StrContains(o.status().message(), "not base64")) << o.status();
}

TEST_F(KubeconfigOptionsTest, ComponentServerFlagOverridesTheKubeconfig) {
  const std::string path =
      Write(Config("https://127.0.0.1:6443", "    certificate-authority: /ca.crt\n", ""));
  absl::StatusOr<ApiClientOptions> o =
      ComponentApiClientOptions("https://127.0.0.1:7443", path, "minik8s-scheduler");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->server, "https://127.0.0.1:7443");
  EXPECT_EQ(o->user_agent, "minik8s-scheduler");
  ASSERT_TRUE(o->tls.has_value());
  EXPECT_EQ(o->tls->ca_file, "/ca.crt");
  o = ComponentApiClientOptions("", path, "x");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->server, "https://127.0.0.1:6443");
  o = ComponentApiClientOptions("127.0.0.1:1", "", "x");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->server, "127.0.0.1:1");
  EXPECT_FALSE(o->tls.has_value());
}

TEST_F(KubeconfigOptionsTest, TheGrpcExtensionNamesTheGrpcServer) {
  // What `minik8s up` writes (client::KubeconfigText), read back.
  const std::string text = KubeconfigText({.server = "https://127.0.0.1:6443",
                                           .grpc_server = "https://127.0.0.1:6445",
                                           .certificate_authority = "/ca.crt"});
  const std::string path = Write(text);
  absl::StatusOr<ApiClientOptions> o = ApiClientOptionsFromKubeconfig(path);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->server, "https://127.0.0.1:6443");
  EXPECT_EQ(o->grpc_server, "https://127.0.0.1:6445");
  // Another extension, or none, names nothing.
  o = ApiClientOptionsFromKubeconfig(
      Write(Config("https://127.0.0.1:6443",
                   "    extensions:\n    - name: example.com/other\n      extension:\n"
                   "        server: https://127.0.0.1:1\n",
                   "")));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->grpc_server, "");
  // A --server flag names another apiserver: the kubeconfig's gRPC port is
  // not that one's.
  Write(text);
  o = ComponentApiClientOptions("https://127.0.0.1:7443", path, "x");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->server, "https://127.0.0.1:7443");
  EXPECT_EQ(o->grpc_server, "");
  o = ComponentApiClientOptions("", path, "x");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->grpc_server, "https://127.0.0.1:6445");
}

}  // namespace
}  // namespace minik8s::client
