// The kubeconfig `minik8s up` writes for kubectl: its text, its file and
// folder modes, and which existing files it may replace.
#include "cluster/kubeconfig.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "client/kubeconfig.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::cluster {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

mode_t Mode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

class KubeconfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/minik8s-kubeconfig-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Names of the files in `dir` (a leftover temp file would show here).
  std::vector<std::string> Files(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string dir_;
};

TEST(KubeconfigText, IsAStandardKubeconfig) {
  EXPECT_EQ(KubeconfigText("127.0.0.1:6443"),
            "# Written by `minik8s up`: kubectl reaches the cluster with\n"
            "# KUBECONFIG=<this file> (or --kubeconfig). Rewritten on each `up`.\n"
            "apiVersion: v1\n"
            "clusters:\n"
            "- cluster:\n"
            "    server: http://127.0.0.1:6443\n"
            "  name: minik8s\n"
            "contexts:\n"
            "- context:\n"
            "    cluster: minik8s\n"
            "    user: minik8s\n"
            "  name: minik8s\n"
            "current-context: minik8s\n"
            "kind: Config\n"
            "preferences: {}\n"
            "users:\n"
            "- name: minik8s\n"
            "  user: {}\n");
}

TEST(KubeconfigText, ParsesAsYamlWithTheExpectedEntries) {
  YAML::Node doc = YAML::Load(KubeconfigText("127.0.0.1:7003", "team-a"));
  EXPECT_EQ(doc["apiVersion"].as<std::string>(), "v1");
  EXPECT_EQ(doc["kind"].as<std::string>(), "Config");
  EXPECT_EQ(doc["current-context"].as<std::string>(), "minik8s");
  ASSERT_EQ(doc["clusters"].size(), 1u);
  EXPECT_EQ(doc["clusters"][0]["cluster"]["server"].as<std::string>(), "http://127.0.0.1:7003");
  ASSERT_EQ(doc["contexts"].size(), 1u);
  EXPECT_EQ(doc["contexts"][0]["context"]["cluster"].as<std::string>(), "minik8s");
  EXPECT_EQ(doc["contexts"][0]["context"]["user"].as<std::string>(), "minik8s");
  EXPECT_EQ(doc["contexts"][0]["context"]["namespace"].as<std::string>(), "team-a");
  ASSERT_EQ(doc["users"].size(), 1u);
  EXPECT_EQ(doc["users"][0]["name"].as<std::string>(), "minik8s");
  EXPECT_TRUE(doc["users"][0]["user"].IsMap());
  EXPECT_EQ(doc["users"][0]["user"].size(), 0u);
}

TEST(KubeconfigText, NamesTheApiserversGrpcPortInAnExtension) {
  const std::string text = KubeconfigText(
      "127.0.0.1:6443", "",
      TlsClientFiles{.ca_file = "/p/ca.crt", .cert_file = "/p/a.crt", .key_file = "/p/a.key"},
      "127.0.0.1:6445");
  YAML::Node cluster = YAML::Load(text)["clusters"][0]["cluster"];
  EXPECT_EQ(cluster["server"].as<std::string>(), "https://127.0.0.1:6443");
  ASSERT_EQ(cluster["extensions"].size(), 1u);
  EXPECT_EQ(cluster["extensions"][0]["name"].as<std::string>(), client::kGrpcExtension);
  EXPECT_EQ(cluster["extensions"][0]["extension"]["server"].as<std::string>(),
            "https://127.0.0.1:6445");
  // Read back as the components read it.
  absl::StatusOr<client::Kubeconfig> parsed = client::Kubeconfig::Parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ClusterGrpcServer(kKubeconfigEntryName), "https://127.0.0.1:6445");
  // Without TLS the scheme follows the server's.
  EXPECT_EQ(YAML::Load(KubeconfigText(
                "127.0.0.1:6443", "", std::nullopt,
                "127.0.0.1:6445"))["clusters"][0]["cluster"]["extensions"][0]["extension"]["server"]
                .as<std::string>(),
            "http://127.0.0.1:6445");
}

TEST_F(KubeconfigFileTest, WritesMode0600InNewPrivateFolders) {
  const std::string folder = dir_ + "/home/.minik8s";
  const std::string path = folder + "/kubeconfig";
  ASSERT_TRUE(WriteKubeconfig(path, "127.0.0.1:6443").ok());
  EXPECT_EQ(Read(path), KubeconfigText("127.0.0.1:6443"));
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(Mode(folder), 0700u);
  EXPECT_EQ(Mode(dir_ + "/home"), 0700u);
  EXPECT_EQ(Files(folder), std::vector<std::string>{"kubeconfig"});
}

TEST_F(KubeconfigFileTest, LeavesAnExistingFolderAsItIs) {
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  const std::string path = dir_ + "/kubeconfig";
  // A world-readable file from elsewhere is replaced by a private one.
  Write(path, "");
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  ASSERT_TRUE(WriteKubeconfig(path, "127.0.0.1:6443").ok());
  EXPECT_EQ(Mode(dir_), 0755u);
  EXPECT_EQ(Mode(path), 0600u);
}

TEST_F(KubeconfigFileTest, RewriteKeepsTheContextNamespace) {
  const std::string path = dir_ + "/kubeconfig";
  ASSERT_TRUE(WriteKubeconfig(path, "127.0.0.1:6443").ok());
  // As `kubectl config set-context --current --namespace=team-a` leaves it:
  // rewritten without the comment.
  Write(path,
        "apiVersion: v1\nclusters:\n- cluster:\n    server: http://127.0.0.1:6443\n"
        "  name: minik8s\ncontexts:\n- context:\n    cluster: minik8s\n"
        "    namespace: team-a\n    user: minik8s\n  name: minik8s\n"
        "current-context: minik8s\nkind: Config\npreferences: {}\n"
        "users:\n- name: minik8s\n  user: {}\n");
  ASSERT_TRUE(WriteKubeconfig(path, "127.0.0.1:7443").ok());
  EXPECT_EQ(Read(path), KubeconfigText("127.0.0.1:7443", "team-a"));
  EXPECT_EQ(Files(dir_), std::vector<std::string>{"kubeconfig"});
}

TEST_F(KubeconfigFileTest, NeverReplacesSomeoneElsesKubeconfig) {
  const std::string path = dir_ + "/config";
  const std::string theirs =
      "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n"
      "    server: https://prod:6443\n- name: minik8s\n  cluster:\n    server: http://x\n"
      "contexts: []\nusers: []\n";
  Write(path, theirs);
  absl::Status s = WriteKubeconfig(path, "127.0.0.1:6443");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("clusters other than minik8s"), std::string::npos) << s;
  EXPECT_EQ(Read(path), theirs);

  for (const std::string& other :
       {std::string("just some text: [unbalanced"), std::string("- a list\n"),
        std::string("apiVersion: v1\nkind: Pod\n"),
        std::string("users:\n- name: admin\n  user: {token: secret}\n")}) {
    Write(path, other);
    EXPECT_EQ(WriteKubeconfig(path, "127.0.0.1:6443").code(), absl::StatusCode::kFailedPrecondition)
        << other;
    EXPECT_EQ(Read(path), other);
  }
  EXPECT_EQ(Files(dir_), std::vector<std::string>{"config"});
}

TEST_F(KubeconfigFileTest, ReportsUnwritablePaths) {
  const std::string file = dir_ + "/file";
  Write(file, "x");
  // A path below a regular file.
  EXPECT_FALSE(WriteKubeconfig(file + "/kubeconfig", "127.0.0.1:6443").ok());
  // The path is a folder.
  EXPECT_FALSE(WriteKubeconfig(dir_, "127.0.0.1:6443").ok());
  EXPECT_EQ(WriteKubeconfig("", "127.0.0.1:6443").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace minik8s::cluster
