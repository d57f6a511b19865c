// label/annotate changes, kubeconfig reading and `config` output, and the
// root's kubectl wording of flag and command errors and `help` (no server).
#include "kubectl/cmd/commands.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "client/kubeconfig.h"
#include "gtest/gtest.h"
#include "kubectl/cmd/context.h"
#include "kubectl/cmd/metadata_update.h"
#include "kubectl/config.h"

namespace minik8s::kubectl {
namespace {

using client::Kubeconfig;
using client::KubeconfigPath;

TEST(LabelArgs, ResourcesThenChanges) {
  absl::StatusOr<MetadataChanges> c =
      ParseMetadataArgs({"pods", "x", "app=web", "tier=", "old-"}, MetadataField::kLabels);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->resources, (std::vector<std::string>{"pods", "x"}));
  EXPECT_EQ(c->set, (std::map<std::string, std::string>{{"app", "web"}, {"tier", ""}}));
  EXPECT_EQ(c->remove, (std::vector<std::string>{"old"}));

  EXPECT_EQ(ParseMetadataArgs({"pods", "x"}, MetadataField::kLabels).status().message(),
            "at least one label update is required");
  EXPECT_EQ(ParseMetadataArgs({"pods", "x"}, MetadataField::kAnnotations).status().message(),
            "at least one annotation update is required");
  EXPECT_EQ(ParseMetadataArgs({"pods", "a=b", "x"}, MetadataField::kLabels).status().message(),
            "all resources must be specified before label changes: x");
  EXPECT_EQ(
      ParseMetadataArgs({"pods", "x", "a=b", "a-"}, MetadataField::kLabels).status().message(),
      "can not both modify and remove a label in the same command");
}

TEST(LabelUpdate, OverwriteRulesAndVerbs) {
  const std::map<std::string, std::string> current = {{"app", "web"}, {"tier", "fe"}};
  MetadataChanges c;
  c.set = {{"app", "api"}};
  absl::StatusOr<MetadataUpdate> u =
      ComputeMetadataUpdate(current, c, MetadataField::kLabels, false);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().message(), "'app' already has a value (web), and --overwrite is false");
  u = ComputeMetadataUpdate(current, c, MetadataField::kAnnotations, false);
  EXPECT_EQ(u.status().message(),
            "--overwrite is false but found the following declared annotation(s): 'app' already "
            "has a value (web)");

  u = ComputeMetadataUpdate(current, c, MetadataField::kLabels, true);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->verb, "labeled");
  EXPECT_EQ(u->patch, R"({"metadata":{"labels":{"app":"api"}}})");

  // The same value: nothing to send, even without --overwrite.
  c.set = {{"app", "web"}};
  u = ComputeMetadataUpdate(current, c, MetadataField::kLabels, false);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->verb, "not labeled");
  EXPECT_EQ(u->patch, "");

  // Removal: null in the merge patch; a missing key is reported.
  c.set.clear();
  c.remove = {"tier", "nope"};
  u = ComputeMetadataUpdate(current, c, MetadataField::kLabels, false);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->verb, "unlabeled");
  EXPECT_EQ(u->patch, R"({"metadata":{"labels":{"tier":null}}})");
  EXPECT_EQ(u->not_found, (std::vector<std::string>{"nope"}));
  EXPECT_EQ(u->result, (std::map<std::string, std::string>{{"app", "web"}}));

  // Values that look like numbers stay strings; annotate always says annotated.
  c.remove.clear();
  c.set = {{"replicas", "3"}};
  u = ComputeMetadataUpdate(current, c, MetadataField::kAnnotations, false);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->verb, "annotated");
  EXPECT_EQ(u->patch, R"({"metadata":{"annotations":{"replicas":"3"}}})");
}

constexpr char kTwoContexts[] = R"(apiVersion: v1
clusters:
- cluster:
    server: http://127.0.0.1:6443
  name: minik8s
- cluster:
    server: http://127.0.0.1:7443
  name: other
contexts:
- context:
    cluster: minik8s
    user: minik8s
  name: minik8s
- context:
    cluster: other
    namespace: kube-system
    user: minik8s
  name: other
current-context: minik8s
kind: Config
preferences: {}
users:
- name: minik8s
  user: {}
)";

TEST(Kubeconfig, ViewAndContextsAsKubectl) {
  absl::StatusOr<Kubeconfig> kc = Kubeconfig::Parse(kTwoContexts);
  ASSERT_TRUE(kc.ok()) << kc.status();
  // What kubectl v1.32 prints for this file.
  EXPECT_EQ(kc->View(false), kTwoContexts);
  EXPECT_EQ(kc->View(true),
            "apiVersion: v1\nclusters:\n- cluster:\n    server: http://127.0.0.1:6443\n"
            "  name: minik8s\ncontexts:\n- context:\n    cluster: minik8s\n    user: minik8s\n"
            "  name: minik8s\ncurrent-context: minik8s\nkind: Config\npreferences: {}\n"
            "users:\n- name: minik8s\n  user: {}\n");
  std::string table;
  ASSERT_TRUE(GetContextsTable(*kc, {}, false, &table).ok());
  EXPECT_EQ(table,
            "CURRENT   NAME      CLUSTER   AUTHINFO   NAMESPACE\n"
            "*         minik8s   minik8s   minik8s    \n"
            "          other     other     minik8s    kube-system\n");
  table.clear();
  absl::Status st = GetContextsTable(*kc, {"nope"}, false, &table);
  EXPECT_EQ(st.message(), "context nope not found");
  EXPECT_EQ(table, "CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE\n");
  table.clear();
  ASSERT_TRUE(GetContextsTable(*kc, {}, true, &table).ok());
  EXPECT_EQ(table, "minik8s\nother\n");

  kc->SetCurrentContext("other");
  EXPECT_NE(kc->View(false).find("current-context: other\n"), std::string::npos);
  EXPECT_FALSE(Kubeconfig::Parse("[1, 2]").ok());
  EXPECT_FALSE(Kubeconfig::Parse("contexts: 3\n").ok());
  EXPECT_TRUE(Kubeconfig::Parse("").ok());
}

TEST(Kubeconfig, PathAndDiscovery) {
  EXPECT_EQ(KubeconfigPath("/f", std::string("/a:/b"), std::string("/h")), "/f");
  EXPECT_EQ(KubeconfigPath("", std::string(":/a:/b"), std::string("/h")), "/a");
  EXPECT_EQ(KubeconfigPath("", std::nullopt, std::string("/h")), "/h/.minik8s/kubeconfig");

  std::map<std::string, std::string> files = {{"/k", kTwoContexts}};
  ServerEnvironment env;
  env.home = "/home/u";
  env.read_file = [&files](const std::string& path) -> absl::StatusOr<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return absl::NotFoundError("no such file");
    return it->second;
  };
  // $KUBECONFIG: the current context's server.
  env.env_kubeconfig = "/k";
  absl::StatusOr<ClusterConfig> c = ResolveServer(env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server, "http://127.0.0.1:6443");
  EXPECT_EQ(c->context, "minik8s");
  // ~/.minik8s/config comes after $KUBECONFIG, MINIK8S_CONFIG before.
  files["/home/u/.minik8s/config"] = "server: 127.0.0.1:1111\n";
  EXPECT_EQ(ResolveServer(env)->server, "http://127.0.0.1:6443");
  files["/c"] = "server: 127.0.0.1:2222\n";
  env.env_config = "/c";
  EXPECT_EQ(ResolveServer(env)->server, "127.0.0.1:2222");
  // --kubeconfig before MINIK8S_CONFIG; its namespace is the default one.
  files["/k2"] = std::string(kTwoContexts) + "";
  files["/k2"].replace(files["/k2"].find("current-context: minik8s"), 24, "current-context: other");
  env.kubeconfig_flag = "/k2";
  c = ResolveServer(env);
  EXPECT_EQ(c->server, "http://127.0.0.1:7443");
  EXPECT_EQ(c->namespace_, "kube-system");
  env.kubeconfig_flag = "/missing";
  EXPECT_FALSE(ResolveServer(env).ok());
  // A missing $KUBECONFIG file is skipped; ~/.minik8s/kubeconfig is last.
  env.kubeconfig_flag.clear();
  env.env_config.reset();
  env.env_kubeconfig = "/missing";
  EXPECT_EQ(ResolveServer(env)->server, "127.0.0.1:1111");
  files.erase("/home/u/.minik8s/config");
  files["/home/u/.minik8s/kubeconfig"] = kTwoContexts;
  EXPECT_EQ(ResolveServer(env)->server, "http://127.0.0.1:6443");
}

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result Mk(std::vector<std::string> args) {
  std::ostringstream out, err;
  Context ctx(out, err);
  args.insert(args.begin(), {"--server", "unix:///nonexistent/mkctl-unit-test.sock"});
  const int code = RunMkctl(args, ctx);
  return {code, out.str(), err.str()};
}

TEST(CliWording, UnknownFlagsAndCommandsAsKubectl) {
  Result r = Mk({"get", "pods", "--foo"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error: unknown flag: --foo\nSee 'mkctl get --help' for usage.\n");
  r = Mk({"get", "pods", "-Z"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error: unknown shorthand flag: 'Z' in -Z\nSee 'mkctl get --help' for usage.\n");
  r = Mk({"rollout", "status", "deploy/x", "--foo"});
  EXPECT_EQ(r.err, "Error: unknown flag: --foo\nSee 'mkctl rollout status --help' for usage.\n");
  r = Mk({"get", "pods", "--sort-by"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error: flag needs an argument: --sort-by\nSee 'mkctl get --help' for usage.\n");
  r = Mk({"lable"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "Error: unknown command \"lable\" for \"mkctl\"\n\nDid you mean this?\n\tlabel\n\n");
  r = Mk({"frobnicate"});
  EXPECT_EQ(r.err, "Error: unknown command \"frobnicate\" for \"mkctl\"\n");
}

TEST(CliWording, Help) {
  Result r = Mk({"help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("label"), std::string::npos) << r.out;
  r = Mk({"help", "label"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("--overwrite"), std::string::npos) << r.out;
  r = Mk({"help", "rollout", "status"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("status"), std::string::npos) << r.out;
  r = Mk({"help", "frob"});
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(absl::StartsWith(r.out, "Unknown help topic [`frob`]\n")) << r.out;
}

TEST(CliWording, LabelPatchAndConfigErrorsBeforeAnyCall) {
  Result r = Mk({"label", "pods", "x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: at least one label update is required\n");
  r = Mk({"annotate", "pods", "a=b"});
  EXPECT_EQ(r.err, "error: resource(s) were provided, but no name was specified\n");
  r = Mk({"label", "pods", "x", "a=b", "-l", "app=web"});
  EXPECT_EQ(r.err, "error: name cannot be provided when a selector is specified\n");
  r = Mk({"patch", "deploy", "x"});
  EXPECT_EQ(r.err,
            "error: must specify --patch or --patch-file containing the contents of the patch\n");
  r = Mk({"patch", "deploy", "x", "-p", "{}", "--type", "foo"});
  EXPECT_EQ(r.err, "error: --type must be one of [json merge strategic], not \"foo\"\n");
  r = Mk({"patch", "deploy", "x", "-p", "{a: [}"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(absl::StartsWith(r.err, "error: unable to parse \"{a: [}\": ")) << r.err;
}

TEST(CliWording, ConfigCommandsOnAFile) {
  char dir_template[] = "/tmp/mkctl-config-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/kubeconfig";
  std::ofstream(path) << kTwoContexts;
  Result r = Mk({"--kubeconfig", path, "config", "current-context"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "minik8s\n");
  r = Mk({"--kubeconfig", path, "config", "use-context", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: no context exists with the name: \"nope\"\n");
  r = Mk({"--kubeconfig", path, "config", "use-context", "other"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Switched to context \"other\".\n");
  r = Mk({"--kubeconfig", path, "config", "get-contexts", "-o", "name"});
  EXPECT_EQ(r.out, "minik8s\nother\n");
  r = Mk({"--kubeconfig", path, "config", "view", "--minify"});
  EXPECT_NE(r.out.find("current-context: other\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("name: minik8s\ncontexts"), std::string::npos) << r.out;
  std::remove(path.c_str());
  r = Mk({"--kubeconfig", path, "config", "current-context"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: current-context is not set\n");
  std::remove(dir_template);
}

}  // namespace
}  // namespace minik8s::kubectl
