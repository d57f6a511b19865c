// Server discovery order and the config file format.
#include "kubectl/config.h"

#include <map>

#include "gtest/gtest.h"

namespace minik8s::kubectl {
namespace {

ServerEnvironment Env(std::map<std::string, std::string> files) {
  ServerEnvironment env;
  env.home = "/home/u";
  env.read_file = [files](const std::string& path) -> absl::StatusOr<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return absl::NotFoundError("no such file");
    return it->second;
  };
  return env;
}

TEST(ResolveServer, FlagWinsOverEverything) {
  ServerEnvironment env = Env({{"/home/u/.minik8s/config", "server: 127.0.0.1:1111\n"}});
  env.server_flag = "127.0.0.1:3333";
  env.env_server = "127.0.0.1:2222";
  absl::StatusOr<ClusterConfig> c = ResolveServer(env);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server, "127.0.0.1:3333");
  EXPECT_EQ(c->source, "--server");
}

TEST(ResolveServer, EnvironmentBeforeConfigFile) {
  ServerEnvironment env = Env({{"/home/u/.minik8s/config", "server: 127.0.0.1:1111\n"}});
  env.env_server = "127.0.0.1:2222";
  EXPECT_EQ(ResolveServer(env)->server, "127.0.0.1:2222");
}

TEST(ResolveServer, ConfigFromMinik8sConfigThenHome) {
  ServerEnvironment env = Env({{"/home/u/.minik8s/config", "server: 127.0.0.1:1111\n"},
                               {"/tmp/c", "server: 127.0.0.1:4444\nnamespace: dev\n"}});
  EXPECT_EQ(ResolveServer(env)->server, "127.0.0.1:1111");
  EXPECT_EQ(ResolveServer(env)->source, "/home/u/.minik8s/config");
  env.env_config = "/tmp/c";
  absl::StatusOr<ClusterConfig> c = ResolveServer(env);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server, "127.0.0.1:4444");
  EXPECT_EQ(c->namespace_, "dev");
}

TEST(ResolveServer, KubeconfigUserTokenComesAlong) {
  ServerEnvironment env = Env({{"/k", R"(apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "http://127.0.0.1:5555"}
users:
- name: alice
  user: {token: s3cret}
- name: bob
  user: {}
contexts:
- name: a
  context: {cluster: c, user: alice}
- name: b
  context: {cluster: c, user: bob}
current-context: a
)"}});
  env.kubeconfig_flag = "/k";
  absl::StatusOr<ClusterConfig> c = ResolveServer(env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->token, "s3cret");
  ServerEnvironment without = Env({{"/k", R"(clusters:
- name: c
  cluster: {server: "http://127.0.0.1:5555"}
contexts:
- name: b
  context: {cluster: c, user: bob}
current-context: b
)"}});
  without.kubeconfig_flag = "/k";
  EXPECT_EQ(ResolveServer(without)->token, "");
}

TEST(ResolveServer, DefaultWhenNothingConfigured) {
  absl::StatusOr<ClusterConfig> c = ResolveServer(Env({}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server, "127.0.0.1:6443");
  EXPECT_EQ(c->source, "default");
}

TEST(ResolveServer, ErrorsNameTheFile) {
  ServerEnvironment env = Env({{"/home/u/.minik8s/config", "server: [\n"}});
  absl::StatusOr<ClusterConfig> c = ResolveServer(env);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("error loading config file \"/home/u/.minik8s/config\""),
            std::string::npos)
      << c.status();
  env = Env({});
  env.env_config = "/nope";
  c = ResolveServer(env);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nope"), std::string::npos);
  EXPECT_FALSE(ParseConfigFile("namespace: x\n").ok());
  EXPECT_FALSE(ParseConfigFile("- a\n").ok());
}

TEST(HostPort, StripsScheme) {
  EXPECT_EQ(HostPort("http://127.0.0.1:6443/"), "127.0.0.1:6443");
  EXPECT_EQ(HostPort("127.0.0.1:6443"), "127.0.0.1:6443");
}

}  // namespace
}  // namespace minik8s::kubectl
