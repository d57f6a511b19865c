// mkctl config view redacts credentials as kubectl v1.32 does (token and
// password REDACTED, certificate and key data DATA+OMITTED) and shows them
// with --raw; compared with the real kubectl on the same file. No server
// is involved.
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace minik8s {
namespace {

constexpr char kKubeconfig[] = R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0FEQVRB
    server: https://127.0.0.1:6443
  name: c
contexts:
- context:
    cluster: c
    user: alice
  name: a
current-context: a
kind: Config
preferences: {}
users:
- name: alice
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
    token: s3cret
- name: bob
  user:
    password: hunter2
    username: bob
)";

std::string RunOk(const std::vector<std::string>& argv) {
  std::string out;
  EXPECT_EQ(testing::RunCommand(argv, &out, absl::Seconds(30)), 0) << out;
  return out;
}

TEST(ConfigViewRedact, AsKubectl) {
  const std::string mkctl = testing::BinPath("mkctl");
  if (access(mkctl.c_str(), X_OK) != 0) GTEST_SKIP() << "mkctl is not built";
  testing::TempDir dir;
  const std::string path = dir.Join("kubeconfig");
  std::ofstream(path) << kKubeconfig;

  const std::string redacted = RunOk({mkctl, "--kubeconfig", path, "config", "view"});
  EXPECT_FALSE(absl::StrContains(redacted, "s3cret")) << redacted;
  EXPECT_FALSE(absl::StrContains(redacted, "hunter2")) << redacted;
  EXPECT_TRUE(absl::StrContains(redacted, "token: REDACTED")) << redacted;
  EXPECT_TRUE(absl::StrContains(redacted, "client-key-data: DATA+OMITTED")) << redacted;
  const std::string raw = RunOk({mkctl, "--kubeconfig", path, "config", "view", "--raw"});
  EXPECT_TRUE(absl::StrContains(raw, "token: s3cret")) << raw;
  EXPECT_TRUE(absl::StrContains(raw, "certificate-authority-data: Q0FEQVRB")) << raw;

  if (access("/usr/bin/kubectl", X_OK) != 0) return;
  EXPECT_EQ(redacted, RunOk({"/usr/bin/kubectl", "--kubeconfig", path, "config", "view"}));
  EXPECT_EQ(raw, RunOk({"/usr/bin/kubectl", "--kubeconfig", path, "config", "view", "--raw"}));
  EXPECT_EQ(RunOk({mkctl, "--kubeconfig", path, "config", "view", "--minify"}),
            RunOk({"/usr/bin/kubectl", "--kubeconfig", path, "config", "view", "--minify"}));
}

}  // namespace
}  // namespace minik8s
